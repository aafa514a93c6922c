"""Microsoft identity platform, Exchange Web Services and Graph, as CONNECTORS.md §4 describes them."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import uuid
import xml.etree.ElementTree as ElementTree
from urllib.parse import unquote
from xml.sax.saxutils import escape

from .server import Emulator, Request, Response

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "http://schemas.microsoft.com/exchange/services/2006/types"
MESSAGES = "http://schemas.microsoft.com/exchange/services/2006/messages"
ERRORS = "http://schemas.microsoft.com/exchange/services/2006/errors"
EWS_PATH = "/EWS/Exchange.asmx"
EWS_AUDIENCE = "https://outlook.office365.com"
GRAPH_AUDIENCE = "https://graph.microsoft.com"
VERSIONS = {"Exchange2007_SP1", "Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2",
            "Exchange2013", "Exchange2013_SP1", "Exchange2016"}
EWS_CHALLENGE = ('Bearer client_id="00000002-0000-0ff1-ce00-000000000000", '
                 'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token"')


def _aad_error(status: int, error: str, code: int, text: str) -> Response:
    trace, correlation = uuid.uuid4(), uuid.uuid4()
    stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return Response.json({
        "error": error, "error_codes": [code], "timestamp": stamp, "trace_id": str(trace),
        "correlation_id": str(correlation), "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}",
    }, status)


def _soap(body: str, header: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{SOAP}"><s:Header>{header}</s:Header>'
            f"<s:Body>{body}</s:Body></s:Envelope>").encode()


def _fault(code: str, text: str, backoff_ms: int | None = None) -> Response:
    extra = (f'<t:MessageXml xmlns:t="{TYPES}"><t:Value Name="BackOffMilliseconds">{backoff_ms}</t:Value></t:MessageXml>'
             if backoff_ms is not None else "")
    body = (f'<s:Fault><faultcode xmlns:a="{TYPES}">a:{code}</faultcode><faultstring xml:lang="en-US">{escape(text)}'
            f'</faultstring><detail><e:ResponseCode xmlns:e="{ERRORS}">{code}</e:ResponseCode>'
            f'<e:Message xmlns:e="{ERRORS}">{escape(text)}</e:Message>{extra}</detail></s:Fault>')
    return Response(500, _soap(body), {"Content-Type": "text/xml; charset=utf-8"})


def _folder_response(inner: str, response_class: str) -> Response:
    header = (f'<h:ServerVersionInfo MajorVersion="15" MinorVersion="20" MajorBuildNumber="8632" MinorBuildNumber="13" '
              f'Version="V2018_01_08" xmlns:h="{TYPES}"/>')
    body = (f'<m:GetFolderResponse xmlns:m="{MESSAGES}" xmlns:t="{TYPES}"><m:ResponseMessages>'
            f'<m:GetFolderResponseMessage ResponseClass="{response_class}">{inner}</m:GetFolderResponseMessage>'
            "</m:ResponseMessages></m:GetFolderResponse>")
    return Response(200, _soap(body, header), {"Content-Type": "text/xml; charset=utf-8"})


def _message_error(code: str, text: str) -> Response:
    return _folder_response(f"<m:MessageText>{escape(text)}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode>"
                            "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Folders/>", "Error")


def _graph_error(status: int, code: str, message: str, **headers: str) -> Response:
    inner = {"date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()), "request-id": str(uuid.uuid4()),
             "client-request-id": str(uuid.uuid4())}
    return Response.json({"error": {"code": code, "message": message, "innerError": inner}}, status, **headers)


class MicrosoftEmulator(Emulator):
    """One tenant with one app registration, one Basic account and some mailboxes.

    `impersonation_allowed` stands for the ApplicationImpersonation role (Basic) or the app's
    full_access_as_app / Calendars.ReadWrite consent (OAuth); `denied` mailboxes are closed by a
    missing delegation or an application access policy.
    """

    name = "microsoft"

    def __init__(self, tenant: str, client_id: str, client_secret: str, basic_user: str, basic_password: str,
                 mailboxes: set[str], impersonation_allowed: bool = True) -> None:
        super().__init__()
        self.tenant, self.client_id, self.client_secret = tenant, client_id, client_secret
        self.basic_user, self.basic_password = basic_user, basic_password
        self.mailboxes = {m.lower() for m in mailboxes}
        self.impersonation_allowed = impersonation_allowed
        self.denied: set[str] = set()
        self.secret_expired = False
        self.basic_enabled = True
        self.busy_backoff_ms: int | None = None
        self.token_lifetime_s = 3599
        self.tokens: dict[str, tuple[str, float]] = {}
        self.route("POST", r"/[^/]+/oauth2/v2\.0/token", self.token)
        self.route("POST", r"/EWS/[Ee]xchange\.asmx", self.ews)
        self.route("GET", r"/v1\.0/users/[^/]+/calendar", self.calendar)

    @property
    def authority_url(self) -> str:
        """What replaces https://login.microsoftonline.com."""
        return self.url

    @property
    def ews_url(self) -> str:
        """The EWS service URL to configure."""
        return self.url + EWS_PATH

    @property
    def graph_url(self) -> str:
        """What replaces https://graph.microsoft.com."""
        return self.url

    def expire_tokens(self) -> None:
        """Make every issued token expired, as after an hour."""
        self.tokens = {token: (audience, 0.0) for token, (audience, _) in self.tokens.items()}

    def token(self, request: Request) -> Response:
        tenant = unquote(request.path.split("/")[1])
        form = request.form()
        if tenant != self.tenant:
            if not re.fullmatch(r"[A-Za-z0-9.-]+", tenant):
                return _aad_error(400, "invalid_request", 900023,
                                  f"Specified tenant identifier '{tenant}' is neither a valid DNS name, "
                                  "nor a valid external domain.")
            return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have "
                              "the correct tenant ID and are signing into the correct cloud.")
        if form.get("grant_type") != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if form.get("client_id") != self.client_id:
            return _aad_error(400, "unauthorized_client", 700016, f"Application with identifier '{form.get('client_id')}' "
                              f"was not found in the directory '{self.tenant}'.")
        if not form.get("client_secret"):
            return _aad_error(401, "invalid_client", 7000218,
                              "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        if self.wrong_credentials or form["client_secret"] != self.client_secret:
            return _aad_error(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being "
                              "sent in the request is the client secret value, not the client secret ID, for a secret "
                              f"added to app '{self.client_id}'.")
        if self.secret_expired:
            return _aad_error(401, "invalid_client", 7000222,
                              f"The provided client secret keys for app '{self.client_id}' are expired.")
        audience = form.get("scope", "").removesuffix("/.default")
        if audience not in (EWS_AUDIENCE, GRAPH_AUDIENCE) or not form.get("scope", "").endswith("/.default"):
            return _aad_error(400, "invalid_scope", 1002012, f"The provided value for scope {form.get('scope')} is not valid. "
                              "Client credential flows must have a scope value with /.default suffixed to the "
                              "resource identifier.")
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (audience, time.time() + self.token_lifetime_s)
        return Response.json({"token_type": "Bearer", "expires_in": self.token_lifetime_s,
                              "ext_expires_in": self.token_lifetime_s, "access_token": token})

    def _bearer(self, request: Request, audience: str) -> bool:
        kind, _, token = request.header("authorization").partition(" ")
        issued = self.tokens.get(token.strip()) if kind.lower() == "bearer" else None
        return issued is not None and issued[0] == audience and issued[1] > time.time() and not self.wrong_credentials

    def _basic(self, request: Request) -> bool:
        kind, _, value = request.header("authorization").partition(" ")
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False
        return (kind.lower() == "basic" and self.basic_enabled and not self.wrong_credentials
                and user.lower() == self.basic_user.lower() and password == self.basic_password)

    def ews(self, request: Request) -> Response:
        app_only = request.header("authorization").lower().startswith("bearer ")
        if not (self._bearer(request, EWS_AUDIENCE) if app_only else self._basic(request)):
            challenge = EWS_CHALLENGE if app_only else "Negotiate, NTLM" + (', Basic realm="ews"' if self.basic_enabled else "")
            return Response(401, b"", {"WWW-Authenticate": challenge})
        if not request.header("content-type").startswith("text/xml"):
            return Response(415, b"Cannot process the message because the content type was not the expected type "
                            b"'text/xml; charset=utf-8'.", {"Content-Type": "text/plain"})
        try:
            root = ElementTree.fromstring(request.body)
        except ElementTree.ParseError:
            return _fault("ErrorSchemaValidation", "The request failed schema validation.")
        version = root.find(f"{{{SOAP}}}Header/{{{TYPES}}}RequestServerVersion")
        if version is None or version.get("Version") not in VERSIONS:
            return _fault("ErrorInvalidServerVersion", "The specified server version is invalid.")
        if self.busy_backoff_ms is not None:
            return _fault("ErrorServerBusy", "The server cannot service this request right now. Try again later.",
                          self.busy_backoff_ms)
        impersonated = (root.findtext(f"{{{SOAP}}}Header/{{{TYPES}}}ExchangeImpersonation/{{{TYPES}}}ConnectingSID/"
                                      f"{{{TYPES}}}PrimarySmtpAddress") or "").strip().lower()
        if impersonated:
            if not self.impersonation_allowed:
                return _fault("ErrorImpersonateUserDenied",
                              "The account does not have permission to impersonate the requested user.")
            if impersonated not in self.mailboxes:
                return _fault("ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.")
        elif app_only:
            return _fault("ErrorInvalidExchangeImpersonationHeaderData",
                          "ExchangeImpersonation SOAP header must be present for this type of OAuth token.")
        folder = root.find(f"{{{SOAP}}}Body/{{{MESSAGES}}}GetFolder/{{{MESSAGES}}}FolderIds/{{{TYPES}}}DistinguishedFolderId")
        if folder is None or folder.get("Id") != "calendar":
            return _fault("ErrorInvalidRequest", "The request is invalid.")
        target = (folder.findtext(f"{{{TYPES}}}Mailbox/{{{TYPES}}}EmailAddress") or impersonated or self.basic_user).lower()
        if target not in self.mailboxes:
            return _message_error("ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.")
        if target in self.denied:
            return _message_error("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        folder_id = base64.b64encode(hashlib.sha256(target.encode()).digest()).decode()
        return _folder_response(f'<m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:CalendarFolder>'
                                f'<t:FolderId Id="{folder_id}" ChangeKey="AgAAABQAAAA="/></t:CalendarFolder></m:Folders>',
                                "Success")

    def calendar(self, request: Request) -> Response:
        if not self._bearer(request, GRAPH_AUDIENCE):
            return _graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.",
                                **{"WWW-Authenticate": 'Bearer realm="", authorization_uri='
                                   '"https://login.microsoftonline.com/common/oauth2/authorize", '
                                   'client_id="00000003-0000-0000-c000-000000000000"'})
        user = unquote(request.path.split("/")[3]).lower()
        if user not in self.mailboxes:
            return _graph_error(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")
        if not self.impersonation_allowed or user in self.denied:
            return _graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        name = " ".join(part.capitalize() for part in user.split("@")[0].split("."))
        return Response.json({
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#users('{user}')/calendar/$entity",
            "id": "AAMkA" + hashlib.sha256(user.encode()).hexdigest()[:40], "name": "Calendar", "color": "auto",
            "isDefaultCalendar": True, "canEdit": True, "canShare": True, "canViewPrivateItems": True,
            "owner": {"name": name, "address": user},
        })
