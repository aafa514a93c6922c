"""Bridge (bridgeapi.io) v3, as CONNECTORS.md §6 describes it."""

from __future__ import annotations

from .server import Emulator, Request, Response

def _error(status: int, code: str, message: str, prop: str = "", **headers: str) -> Response:
    return Response.json({"code": code, "property": prop, "message": message}, status, **headers)


class BridgeEmulator(Emulator):
    """`/v3/aggregation/users`, checking the application headers and the Bridge-Version."""

    name = "bridge"

    def __init__(self, client_id: str, client_secret: str, version: str = "2025-01-15") -> None:
        super().__init__()
        self.client_id, self.client_secret, self.version = client_id, client_secret, version
        self.ip_refused = False  # the production IP allow-list does not hold the caller
        self.users = [{"uuid": "7f9c5a0e-3b1d-4c6e-9a2f-1d5e8b7c4a30", "external_user_id": "akuiteo-acme"},
                      {"uuid": "0b8e2f4a-6c1d-4e9b-8a7f-3c2d1e0f9a8b", "external_user_id": "akuiteo-beta"}]
        self.route("GET", "/v3/aggregation/users", self.list_users)

    @property
    def api_url(self) -> str:
        """The base URL to configure (paths start with /v3)."""
        return self.url

    def _gate(self, request: Request) -> Response | None:
        version = request.header("bridge-version")
        if not version:
            return _error(400, "missing_header", "Missing Bridge-Version header", "Bridge-Version")
        if version != self.version:  # v3 routes refuse the v2-era dated versions
            return _error(400, "invalid_version", f"Bridge-Version {version} is not supported", "Bridge-Version")
        if (self.wrong_credentials or request.header("client-id") != self.client_id
                or request.header("client-secret") != self.client_secret):
            return _error(401, "invalid_client_credentials", "Invalid client credentials")
        if self.ip_refused:
            return _error(403, "forbidden", "Your IP address is not allowed to access this resource")
        return None

    def list_users(self, request: Request) -> Response:
        refused = self._gate(request)
        if refused:
            return refused
        try:
            limit = int(request.query.get("limit", ["50"])[0])
        except ValueError:
            limit = 0
        if not 1 <= limit <= 500:
            return _error(400, "invalid_parameter", "limit must be between 1 and 500", "limit")
        page = self.users[:limit]
        next_uri = f"/v3/aggregation/users?limit={limit}&after=cursor-{limit}" if len(self.users) > limit else None
        return Response.json({"resources": [{**user, "created_at": "2025-02-03T10:12:44.000Z"} for user in page],
                              "pagination": {"next_uri": next_uri}})
