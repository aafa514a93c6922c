"""Inqom calls for the AccountingExport batch: upload a document or an expense bill, read one back (seed 004)."""

from __future__ import annotations

import json
import mimetypes
from typing import Any, Literal
from urllib.parse import quote

import httpx

from ..diagnose import diagnose_exception, diagnose_status, json_object, retry_after
from ..probe import MASK, secret_forms
from ..tokens import SHARED, TokenCache, cache_key
from .inqom_account import DOCUMENTS_PATH, RETRY_LATER, SCOPE, InqomAccount, inqom_words, token_refused

EXPENSE_BILLS_PATH = "api/v1/accounting-folders/{folder}/expense-bills"
TYPE_SCANS = ("Client", "Supplier", "Others")
TypeScan = Literal["Client", "Supplier", "Others"]
STATUSES = {
    "Received": "received by Inqom, not processed yet",
    "ToReview": "extracted, waiting for the accountant's review",
    "Processing": "being processed by Inqom",
    "Duplicate": "taken by Inqom for a duplicate",
    "Done": "processed",
    "ManualProcessing": "set aside for manual processing",
    "Deleted": "deleted in Inqom",
}
STATUS_REASONS = {
    "ExerciseLockedForDates": "the accounting exercise of its dates is locked",
    "ExercisesNotFound": "no accounting exercise covers its dates",
    "CannotCreateEntriesBeforeFirstOpenedExercise": "entries cannot be made before the first opened exercise",
    "CannotCreateEntriesBeforeFirstOpennedExercise": "entries cannot be made before the first opened exercise",
    "SituationNotImpactable": "the situation cannot be changed",
    "InsertEntryIsForbidden": "inserting entries is forbidden",
    "JournalNotFound": "the journal was not found",
    "UserManuallyUnsetDuplicate": "a user unmarked it as a duplicate",
    "BookEntriesDeletedByUser": "a user deleted its book entries",
}


class InqomError(Exception):
    """An Inqom call failed; the text says why in plain words, never with a secret."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False,
                 maybe_received: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        # True when Inqom may have stored an upload whose answer was lost: sending it again makes a Duplicate.
        self.maybe_received = maybe_received


def origin_id(document: dict) -> Any:
    """The Id of the document a duplicate repeats (the seed's example spells the field OrigineId)."""
    return document.get("OriginId", document.get("OrigineId"))


def describe_status(document: dict) -> str:
    """A document's Status in words, with its reason (StatusReasons, StatusReason) and the original of a duplicate."""
    status = str(document.get("Status") or "unknown")
    words = f"{status}: {STATUSES.get(status, 'a status akadmin does not know')}"
    if status == "Duplicate" and origin_id(document) is not None:
        words += f" of document {origin_id(document)}"
    code = str(document.get("StatusReasons") or "None")
    reasons = [STATUS_REASONS.get(code, code)] if code != "None" else []
    if document.get("StatusReason") and str(document["StatusReason"]) != code:
        reasons.append(str(document["StatusReason"]))
    return words + (f" ({'; '.join(reasons)})" if reasons else "")


class InqomSession:
    """Calls for one Inqom account and folder: the token is reused, and renewed once when refused."""

    def __init__(self, account: InqomAccount, client: httpx.AsyncClient, tokens: TokenCache = SHARED, *,
                 timeout_s: float = 60.0) -> None:
        self.account = account
        self.client = client
        self.tokens = tokens
        self.timeout_s = timeout_s
        self._key = cache_key(account.auth_url, account.client_id, account.client_secret, account.username,
                              account.password)
        self._masked = {form for s in account.secrets() if s and len(s) >= 3 for form in secret_forms(s)}

    def _redact(self, text: str) -> str:
        for secret in sorted(self._masked, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def _error(self, message: str, **kwargs: Any) -> InqomError:
        return InqomError(self._redact(message), **kwargs)

    def _folder_url(self, path: str) -> str:
        folder = quote(str(self.account.folder_id).strip(), safe="")
        return self.account.api_url.rstrip("/") + "/" + path.format(folder=folder)

    async def _token(self) -> tuple[str, bool]:
        """The access token, and whether it came from the cache."""
        cached = self.tokens.get(self._key)
        if cached:
            return cached, True
        form = {"grant_type": "password", "client_id": self.account.client_id,
                "client_secret": self.account.client_secret, "username": self.account.username,
                "password": self.account.password, "scope": SCOPE}
        try:
            response = await self.client.post(self.account.auth_url, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise self._error("Inqom token: " + await diagnose_exception(error, self.account.auth_url, self.timeout_s),
                              retryable=True) from None
        body, status = json_object(response), response.status_code
        token = body.get("access_token")
        if status == 200 and token:
            self.tokens.put(self._key, str(token), body.get("expires_in"))
            self._masked |= secret_forms(str(token))
            return str(token), False
        if status == 200:
            message = "Inqom answered the token request without an access_token."
        else:
            message = token_refused(response) or (
                f"Inqom token: {diagnose_status(response)} Check the Inqom authentication URL {self.account.auth_url}.")
        raise self._error(message, status=status, retryable=status == 429 or status >= 500)

    async def _send(self, method: str, url: str, *, what: str, malformed: str, missing: str, upload: bool = False,
                    **request: Any) -> Any:
        """One call with the Bearer token; a refused token is renewed once. Returns the parsed JSON answer."""
        renewed = False
        while True:
            token, reused = await self._token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                response = await self.client.request(method, url, headers=headers, **request)
            except httpx.HTTPError as error:
                # Once the request left, an upload may have been stored although its answer was lost.
                sent = upload and not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
                raise self._error(f"{what}: " + await diagnose_exception(error, url, self.timeout_s),
                                  retryable=True, maybe_received=sent) from None
            status = response.status_code
            # Inqom also says 403 when a token is not accepted, so a reused token refused with 403 is renewed too.
            if not renewed and (status == 401 or (status == 403 and reused)):
                renewed = True
                self.tokens.forget(self._key)
                continue
            if status in (200, 201):
                try:
                    return response.json()
                except ValueError:
                    snippet = response.text.strip().replace("\n", " ")[:120]
                    raise self._error(f"{what}: Inqom answered with something that is not JSON "
                                      f"({response.headers.get('content-type', 'no content-type')}: {snippet}); a "
                                      "gateway may be in maintenance, try again later.", status=status,
                                      retryable=True, maybe_received=upload) from None
            raise self._refused(response, what=what, malformed=malformed, missing=missing, upload=upload)

    def _refused(self, response: httpx.Response, *, what: str, malformed: str, missing: str,
                 upload: bool) -> InqomError:
        """The seed's meaning of an error status, in words, and whether trying again may help."""
        status, said = response.status_code, inqom_words(response)
        says = f" Inqom says: {said}." if said else ""
        folder, user = self.account.folder_id, self.account.username
        if status == 400:
            return self._error(f"{what}: Inqom found the request malformed (400): {malformed}.{says}", status=400)
        if status == 401:
            return self._error(f"{what}: Inqom refused a new token too (401): check that the user {user} and the API "
                               f"client may use the accounting documents API of this environment.{says}", status=401)
        if status == 403:
            return self._error(f"{what}: the Inqom user {user} has no rights on accounting folder {folder} (403): "
                               "give that user rights on the folder in Inqom (Inqom also says 403 when the token "
                               f"does not belong to a user with rights on it).{says}", status=403)
        if status == 404:
            return self._error(f"{what}: Inqom found nothing at this URL (404): {missing}, or the documents API URL "
                               f"{self.account.api_url} is not the one of this environment.{says}", status=404)
        if status == 429:
            wait = retry_after(response)
            return self._error(f"{what}: Inqom asks to slow down (429){'; ' + wait if wait else ''}: try again later."
                               f"{says}", status=429, retryable=True)
        if status >= 500:
            # A 503 comes from the gateway before Inqom saw the upload; another 5xx may come after it stored it.
            return self._error(f"{what}: " + RETRY_LATER.format(status=status) + says, status=status, retryable=True,
                               maybe_received=upload and status != 503)
        return self._error(f"{what}: " + diagnose_status(response), status=status)

    async def upload_document(self, file_name: str, content: bytes, *, type_scan: TypeScan, doc_ref: str,
                              source_id: str, without_workflow: bool = False) -> dict:
        """Send a sales (Client), purchase (Supplier) or other (Others) document; returns the created document."""
        if type_scan not in TYPE_SCANS:
            raise ValueError(f"TypeScan must be one of {', '.join(TYPE_SCANS)}, not {type_scan!r}.")
        form = {"accountingFolderId": str(self.account.folder_id).strip(), "TypeScan": type_scan,
                "FileSource": "Api", "DocumentName": file_name}
        form |= {k: v for k, v in (("DocRef", doc_ref), ("SourceId", source_id)) if v}
        if without_workflow:
            form["WithoutWorkflow"] = "true"
        what = f"Uploading {file_name} to Inqom"
        body = await self._send(
            "POST", self._folder_url(DOCUMENTS_PATH), what=what, upload=True, data=form,
            files={"Document": (file_name, content, _content_type(file_name))},
            malformed=f"check the file (not empty, a PDF or an image), its name, the TypeScan {type_scan} and that "
                      f"accounting folder {self.account.folder_id} is the folder's numeric Id in Inqom",
            missing=f"accounting folder {self.account.folder_id} does not exist in Inqom")
        if not isinstance(body, dict) or body.get("Id") is None:
            raise self._error(f"{what}: Inqom answered without the created document's Id: {_snippet(body)}.",
                              maybe_received=True)
        return body

    async def upload_expense_bill(self, file_name: str, content: bytes, *, beneficiary: str, reference: str) -> dict:
        """Send an expense bill (note de frais) for a beneficiary; returns Inqom's answer with its DocumentId."""
        what = f"Uploading expense bill {file_name} to Inqom"
        form = {"BeneficiaryFullName": beneficiary, "FileNameWithExtension": file_name, "DocumentReference": reference}
        body = await self._send(
            "POST", self._folder_url(EXPENSE_BILLS_PATH), what=what, upload=True, data=form,
            files={"File": (file_name, content, _content_type(file_name))},
            malformed=f"check the file (not empty), its name with its extension, the beneficiary's full name, the "
                      f"reference and that accounting folder {self.account.folder_id} is the folder's numeric Id",
            missing=f"accounting folder {self.account.folder_id} does not exist in Inqom")
        if not isinstance(body, dict) or body.get("DocumentId") is None:
            raise self._error(f"{what}: Inqom answered without the expense bill's DocumentId: {_snippet(body)}.",
                              maybe_received=True)
        return body

    async def documents(self, page: int = 1, size: int = 100) -> list[dict]:
        """One page of the folder's documents (pageNumber from 1)."""
        what = f"Listing the documents of Inqom folder {self.account.folder_id}"
        body = await self._send("GET", self._folder_url(DOCUMENTS_PATH), what=what,
                                params={"pageNumber": page, "pageSize": size},
                                malformed=f"check that accounting folder {self.account.folder_id} is an Inqom numeric Id",
                                missing=f"accounting folder {self.account.folder_id} does not exist")
        if not isinstance(body, list):
            raise self._error(f"{what}: Inqom answered with something that is not a list: {_snippet(body)}.")
        return [d for d in body if isinstance(d, dict)]

    async def find_by_source(self, source_id: str, *, page_size: int = 100, max_pages: int = 200) -> dict | None:
        """The folder's document delivered with this SourceId, if Inqom has one."""
        for page in range(1, max_pages + 1):
            items = await self.documents(page, page_size)
            found = next((d for d in items if str(d.get("SourceId") or "") == source_id), None)
            if found is not None or len(items) < page_size:
                return found
        return None

    async def document(self, document_id: int | str) -> dict:
        """One document of the folder, with its Status, StatusReason and StatusReasons."""
        what = f"Reading Inqom document {document_id}"
        body = await self._send(
            "GET", self._folder_url(DOCUMENTS_PATH) + "/" + quote(str(document_id).strip(), safe=""), what=what,
            malformed=f"check that document {document_id} and accounting folder {self.account.folder_id} are Inqom's "
                      "numeric Ids",
            missing=f"accounting folder {self.account.folder_id} has no document {document_id}")
        if not isinstance(body, dict) or "Status" not in body:
            raise self._error(f"{what}: Inqom answered with something that is not a document: {_snippet(body)}.")
        return body

    async def public_url(self, document_id: int | str) -> str:
        """A URL to download the original document; Inqom makes it expire after a few minutes."""
        what = f"Asking Inqom for a download URL of document {document_id}"
        body = await self._send(
            "GET", self._folder_url(DOCUMENTS_PATH) + "/" + quote(str(document_id).strip(), safe="") + "/public-url",
            what=what, malformed=f"check that document {document_id} is an Inqom numeric Id",
            missing=f"accounting folder {self.account.folder_id} has no document {document_id}")
        # The seed names no field for the URL: a bare JSON string, or the one URL-looking value of an object.
        values = [body] if isinstance(body, str) else list(body.values()) if isinstance(body, dict) else []
        url = next((v for v in values if isinstance(v, str) and v.startswith(("https://", "http://"))), None)
        if url is None:
            raise self._error(f"{what}: Inqom answered without a URL: {_snippet(body)}.")
        return url


def _content_type(file_name: str) -> str:
    return mimetypes.guess_type(file_name)[0] or "application/octet-stream"


def _snippet(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)[:120]
