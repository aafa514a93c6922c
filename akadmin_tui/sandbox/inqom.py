"""Inqom's identity server and accounting documents API, as the product documentation (seed 004) describes them."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import secrets
import time
from datetime import UTC, datetime

from .server import Emulator, Request, Response

TOKEN_PATH = "/identity/connect/token"
FOLDER_PATH = "/api/accounting-documents/accounting-folders/"
DOCUMENTS = re.compile(FOLDER_PATH + r"(?P<folder>[^/]+)/Documents(?:/(?P<document>[^/]+))?/?")
PUBLIC_URL = re.compile(FOLDER_PATH + r"(?P<folder>[^/]+)/Documents/(?P<document>[^/]+)/public-url/?")
EXPENSE_BILLS = re.compile(r"/api/v1/accounting-folders/(?P<folder>[^/]+)/expense-bills/?")
BLOB_PATH = "/enterprisespublic/"
PROBLEM_400 = "https://tools.ietf.org/html/rfc7231#section-6.5.1"
PROBLEM_404 = "https://tools.ietf.org/html/rfc7231#section-6.5.4"
TYPE_SCANS = ("Client", "Supplier", "Others")
STATUSES = ("Received", "ToReview", "Processing", "Duplicate", "Done", "ManualProcessing", "Deleted")
STATUS_REASONS = ("None", "ExerciseLockedForDates", "ExercisesNotFound", "CannotCreateEntriesBeforeFirstOpenedExercise",
                  "SituationNotImpactable", "InsertEntryIsForbidden", "JournalNotFound", "UserManuallyUnsetDuplicate",
                  "BookEntriesDeletedByUser")
OWNER_ID = 7498  # the emulated API user's id, as in the seed's example


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _problem(status: int, errors: dict | None = None) -> Response:
    """An ASP.NET problem answer, as the documents API gives for 400 and 404."""
    if status == 400:
        return Response.json({"type": PROBLEM_400, "title": "One or more validation errors occurred.",
                              "status": 400, "errors": errors or {}}, 400)
    return Response.json({"type": PROBLEM_404, "title": "Not Found", "status": 404}, 404)


def multipart(request: Request) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]] | None:
    """The text fields and the files (name, content) of a multipart/form-data body; None when it is not one."""
    content_type = request.header("content-type")
    if "multipart/form-data" not in content_type or "boundary=" not in content_type:
        return None
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip('"').encode()
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in request.body.split(b"--" + boundary)[1:]:
        head, _, content = part.partition(b"\r\n\r\n")
        name = re.search(rb'[; ]name="([^"]*)"', head)
        if name is None:
            continue  # the closing "--" after the last boundary
        content = content.removesuffix(b"\r\n")
        filename = re.search(rb'filename="([^"]*)"', head)
        key = name[1].decode("utf-8", "replace")
        if filename is not None:
            files[key] = (filename[1].decode("utf-8", "replace"), content)
        else:
            fields[key] = content.decode("utf-8", "replace")
    return fields, files


class InqomEmulator(Emulator):
    """Token endpoint (password grant), the documents of the accounting folders it is given, uploads, expense bills."""

    name = "inqom"

    def __init__(self, client_id: str, client_secret: str, username: str, password: str,
                 folders: dict[int | str, list[dict]], forbidden_folders: set = frozenset()) -> None:
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        # Copies, so uploads and advance() never change the caller's fixtures.
        self.folders = {str(k): [dict(d) for d in v] for k, v in folders.items()}
        self.forbidden_folders = {str(k) for k in forbidden_folders}
        self.token_lifetime_s = 3600
        self.tokens: dict[str, float] = {}
        self.server_error = False  # the documents API answers 500 while the token endpoint works
        self.public_url_ttl_s = 300.0  # "l'URL est temporaire et expire au bout de quelques minutes"
        # Every document by Id (the last folder wins for a shared Id), its file, and the form it came with.
        self.documents: dict[int, dict] = {int(d["Id"]): d for v in self.folders.values() for d in v if "Id" in d}
        self.files: dict[int, bytes] = {}
        self.forms: dict[int, dict[str, str]] = {}
        self.upload_answer_delay_s = 0.0
        self.public_links: dict[str, tuple[int, float]] = {}
        self._next_id = max([9518529, *self.documents]) + 1
        self.route("POST", TOKEN_PATH, self.token)
        self.route("GET", PUBLIC_URL.pattern, self.public_url)
        self.route("GET", DOCUMENTS.pattern, self.get_documents)
        self.route("POST", DOCUMENTS.pattern, self.post_document)
        self.route("POST", EXPENSE_BILLS.pattern, self.post_expense_bill)
        self.route("GET", BLOB_PATH + r"(?P<key>[^/]+)", self.blob)

    @property
    def auth_url(self) -> str:
        """The token URL to configure."""
        return self.url + TOKEN_PATH

    @property
    def api_url(self) -> str:
        """The documents API base URL to configure."""
        return self.url

    def expire_tokens(self) -> None:
        """Make every issued token expired, as after an hour."""
        self.tokens = dict.fromkeys(self.tokens, 0.0)

    def advance(self, doc_id: int | str, status: str, reason: str = "") -> dict:
        """Move a document to another Status, as Inqom's processing or an accountant would; returns it."""
        if status not in STATUSES:
            raise ValueError(f"Inqom has no status {status!r}: one of {', '.join(STATUSES)}.")
        document = self.documents[int(doc_id)]
        document.update(Status=status, StatusReason=reason or None, StatusUpdatedAt=_now(),
                        StatusReasons=reason if reason in STATUS_REASONS else "None")
        if status == "Deleted":
            document["DeletedAt"] = document["StatusUpdatedAt"]
        return document

    def token(self, request: Request) -> Response:
        form = request.form()
        if form.get("grant_type") != "password":
            return Response.json({"error": "unsupported_grant_type"}, 400)
        if self.wrong_credentials or form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Response.json({"error": "invalid_client"}, 400)
        if "apidata" not in form.get("scope", "").split():
            return Response.json({"error": "invalid_scope"}, 400)
        if form.get("username") != self.username or form.get("password") != self.password or not self.password:
            return Response.json({"error": "invalid_grant", "error_description": "invalid_username_or_password"}, 400)
        now = int(time.time())
        claims = {"iss": "https://auth.inqom.com/identity", "sub": self.username, "client_id": self.client_id,
                  "scope": ["openid", "apidata"], "iat": now, "exp": now + self.token_lifetime_s}
        token = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.{secrets.token_urlsafe(32)}"
        self.tokens[token] = time.time() + self.token_lifetime_s
        return Response.json({"access_token": token, "expires_in": self.token_lifetime_s,
                              "token_type": "Bearer", "scope": "openid apidata"})

    def _guard(self, request: Request, folder: str, extra: dict[str, str] | None = None) -> Response | None:
        """The answers every API call may get before its own work: 401, then the seed's 400, 500, 403 and 404."""
        auth = request.header("authorization")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if not token or self.tokens.get(token, 0) < time.time():
            return Response(401, b"", {"WWW-Authenticate": 'Bearer error="invalid_token", '
                                                           'error_description="The token is expired or unknown"'})
        values = {"accountingFolderId": folder, **(extra or {})}
        invalid = {k: [f"The value '{v}' is not valid."] for k, v in values.items() if not v.isdigit()}
        if invalid:
            return _problem(400, invalid)
        if self.server_error:
            return Response(500, b"An unexpected fault happened. Try again later.", {"Content-Type": "text/plain"})
        if folder in self.forbidden_folders:
            return Response(403, b"")
        if folder not in self.folders:
            return _problem(404)
        return None

    def get_documents(self, request: Request) -> Response:
        match = DOCUMENTS.fullmatch(request.path)
        folder, document = match["folder"], match["document"]
        paging = {"pageNumber": request.query.get("pageNumber", ["1"])[0],
                  "pageSize": request.query.get("pageSize", ["50"])[0]}
        refused = self._guard(request, folder, {"id": document or "0", **paging})
        if refused:
            return refused
        items = self.folders[folder]
        if document is not None:
            found = next((d for d in items if str(d.get("Id")) == document), None)
            return Response.json(found) if found else _problem(404)
        page, size = max(1, int(paging["pageNumber"])), max(1, int(paging["pageSize"]))
        return Response.json(items[(page - 1) * size: page * size])

    def _store(self, folder: str, file_name: str, content: bytes, **fields) -> dict:
        """A new document of the folder; a repeated file, or DocRef and SourceId, makes it a Duplicate."""
        items, doc_id = self.folders[folder], self._next_id
        self._next_id += 1
        checksum = hashlib.sha1(content).hexdigest().upper()
        reference = (fields.get("DocRef"), fields.get("SourceId"))
        original = next((d for d in items if d.get("Status") != "Deleted" and (
            d.get("Checksum") == checksum or (all(reference) and (d.get("DocRef"), d.get("SourceId")) == reference))),
            None)
        now, stored = _now(), f"{file_name.rsplit('.', 1)[0].lower()}-{secrets.token_hex(16)}"
        document = {
            "Id": doc_id, "AccountingFolderId": int(folder), "Name": file_name, "Type": "Supplier",
            "Size": max(1, math.ceil(len(content) / 1024)),
            "OriginId": (original.get("OriginId") or original["Id"]) if original else None,
            "DeletedAt": None, "CreatedAt": now, "Source": "Api", "SourceId": None, "ClientSource": "Api",
            "DocRef": None, "Checksum": checksum, "Status": "Duplicate" if original else "Received",
            "StatusReason": None, "StatusUpdatedAt": now, "StatusResponsibleUserId": None,
            "FileUrl": f"{self.url}/enterprises/{folder}/{stored}", "ThumbUrl": None, "GoogleJsonUrl": None,
            "OwnerId": OWNER_ID, "FolderItemId": None, "OriginalName": file_name, "ContentSource": "DocData",
            "StatusReasons": "None", "CounterParty": None, "Amount": None, "EffectifDate": None,
            "UserDefinedThirdPartyName": None, **fields}
        items.append(document)
        self.documents[doc_id], self.files[doc_id] = document, content
        return document

    def post_document(self, request: Request) -> Response:
        match = DOCUMENTS.fullmatch(request.path)
        folder = match["folder"]
        if match["document"] is not None:
            return _problem(404)  # documents are created on the folder's URL
        refused = self._guard(request, folder)
        if refused:
            return refused
        form, files = multipart(request) or ({}, {})
        errors = {}
        if form.get("accountingFolderId", "") != folder:
            errors["accountingFolderId"] = [f"The accountingFolderId field is required and must be {folder}."]
        if form.get("TypeScan") not in TYPE_SCANS:
            errors["TypeScan"] = [f"The value '{form.get('TypeScan', '')}' is not valid for TypeScan."]
        name, content = files.get("Document", ("", b""))
        if not content:
            errors["Document"] = ["The Document field is required."]
        if errors:
            return _problem(400, errors)
        document = self._store(folder, form.get("DocumentName") or name, content, Type=form["TypeScan"],
                               Source=form.get("FileSource") or "Api", OriginalName=name,
                               DocRef=form.get("DocRef") or None, SourceId=form.get("SourceId") or None)
        self.forms[document["Id"]] = form
        if self.upload_answer_delay_s:
            time.sleep(self.upload_answer_delay_s)  # stored first: a client killed now never learns the Id
        return Response.json(document)

    def post_expense_bill(self, request: Request) -> Response:
        folder = EXPENSE_BILLS.fullmatch(request.path)["folder"]
        refused = self._guard(request, folder)
        if refused:
            return refused
        form, files = multipart(request) or ({}, {})
        errors = {f: [f"The {f} field is required."]
                  for f in ("BeneficiaryFullName", "FileNameWithExtension", "DocumentReference") if not form.get(f)}
        name, content = files.get("File", ("", b""))
        if not content:
            errors["File"] = ["The File field is required."]
        if errors:
            return _problem(400, errors)
        # The seed's Type lists Client, Supplier and Others; integration notes name expense reports ExpenseReport.
        document = self._store(folder, form["FileNameWithExtension"], content, Type="ExpenseReport",
                               OriginalName=name, DocRef=form["DocumentReference"],
                               UserDefinedThirdPartyName=form["BeneficiaryFullName"])
        self.forms[document["Id"]] = form
        return Response.json({"DocumentId": document["Id"]})

    def public_url(self, request: Request) -> Response:
        match = PUBLIC_URL.fullmatch(request.path)
        folder, document = match["folder"], match["document"]
        refused = self._guard(request, folder, {"documentId": document})
        if refused:
            return refused
        if not any(str(d.get("Id")) == document for d in self.folders[folder]):
            return _problem(404)
        key = secrets.token_urlsafe(16)
        expires_at = time.time() + self.public_url_ttl_s
        self.public_links[key] = (int(document), expires_at)
        stamp = datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        signature = f"sv=2021-08-06&se={stamp}&sr=b&sp=r&sig={secrets.token_hex(8)}"
        return Response.json(f"{self.url}{BLOB_PATH}{key}?{signature}")

    def blob(self, request: Request) -> Response:
        """The storage behind a public URL: the file until the URL expires, then Azure's 403."""
        key = request.path.removeprefix(BLOB_PATH)
        doc_id, expires_at = self.public_links.get(key, (0, 0.0))
        if expires_at <= time.time():
            return Response(403, b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code>'
                                 b'<Message>Signed expiry time has to be after signed start time</Message></Error>',
                            {"Content-Type": "application/xml"})
        # Documents given at start have no file: an empty one stands for them.
        return Response(200, self.files.get(doc_id, b""), {"Content-Type": "application/octet-stream"})
