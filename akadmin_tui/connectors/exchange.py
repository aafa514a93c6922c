"""Exchange Web Services: a SOAP GetFolder of the calendar, with Basic or an app-only OAuth token."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

import httpx

from .microsoft import DEFAULT_AUTHORITY, EWS_SCOPE, with_token
from .probe import Probe, Reply
from .result import TestResult
from .tokens import SHARED, TokenCache

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "http://schemas.microsoft.com/exchange/services/2006/types"
MESSAGES = "http://schemas.microsoft.com/exchange/services/2006/messages"
ERRORS = "http://schemas.microsoft.com/exchange/services/2006/errors"
STEP = "EWS calendar"


@dataclass(frozen=True)
class ExchangeAccount:
    """The EXCHANGE section's values the Test needs, secrets decrypted."""

    ews_url: str
    server_version: str = "Exchange2016"
    delegated_user: str = ""
    password: str = ""
    use_impersonation: bool = False
    test_user: str = ""
    use_oauth: bool = False
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    authority_url: str = DEFAULT_AUTHORITY

    def secrets(self) -> list[str]:
        """Values to mask in anything shown."""
        return [self.password, self.client_secret, self.basic()]

    def basic(self) -> str:
        """The HTTP Basic credentials: base64 of user:password."""
        return base64.b64encode(f"{self.delegated_user}:{self.password}".encode()).decode()

    def mailbox(self) -> str:
        """The mailbox whose calendar is read: the test user when one is given."""
        return self.test_user or self.delegated_user

    def delegate_target(self) -> str:
        """Another user's mailbox to open by delegation (no impersonation), or ""."""
        if self.use_impersonation or not self.test_user or self.test_user.lower() == self.delegated_user.lower():
            return ""
        return self.test_user


def envelope(account: ExchangeAccount) -> bytes:
    """The GetFolder request for the calendar, with impersonation or a delegate mailbox when set."""
    impersonation = ""
    if account.use_impersonation:
        impersonation = ("<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>"
                         f"{escape(account.test_user)}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>")
    target = account.delegate_target()
    mailbox = f"<t:Mailbox><t:EmailAddress>{escape(target)}</t:EmailAddress></t:Mailbox>" if target else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<soap:Envelope xmlns:soap="{SOAP}" xmlns:t="{TYPES}" xmlns:m="{MESSAGES}">'
        f"<soap:Header><t:RequestServerVersion Version={quoteattr(account.server_version)}/>{impersonation}</soap:Header>"
        "<soap:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
        f'<m:FolderIds><t:DistinguishedFolderId Id="calendar">{mailbox}</t:DistinguishedFolderId></m:FolderIds>'
        "</m:GetFolder></soap:Body></soap:Envelope>"
    ).encode()


def ews_error(root: ElementTree.Element) -> tuple[str, str, int | None] | None:
    """(ResponseCode, message, BackOffMilliseconds) of a SOAP fault or an error response message."""
    fault = root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    if fault is not None:
        holder = fault.find("detail")
        holder = holder if holder is not None else fault
        code = holder.findtext(f"{{{ERRORS}}}ResponseCode") or (fault.findtext("faultcode") or "").rpartition(":")[2]
        text = holder.findtext(f"{{{ERRORS}}}Message") or fault.findtext("faultstring") or ""
    else:
        holder = root.find(f".//{{{MESSAGES}}}GetFolderResponseMessage")
        if holder is None or holder.get("ResponseClass") == "Success":
            return None
        code = holder.findtext(f"{{{MESSAGES}}}ResponseCode") or "no ResponseCode"
        text = holder.findtext(f"{{{MESSAGES}}}MessageText") or ""
    backoff = holder.findtext(f".//{{{TYPES}}}Value[@Name='BackOffMilliseconds']")
    return code, text.strip(), int(backoff) if backoff and backoff.isdigit() else None


def diagnose_code(account: ExchangeAccount, code: str, text: str, backoff_ms: int | None) -> str:
    """What an EWS ResponseCode means for this account, in plain words."""
    who = "The application" if account.use_oauth else f"The delegated user {account.delegated_user}"
    mailbox = account.mailbox()
    said = f" Exchange says: {text}" if text else ""
    if code == "ErrorNonExistentMailbox":
        return (f"No mailbox exists for {mailbox} (ErrorNonExistentMailbox): check the Test user address and that "
                f"the user has an Exchange mailbox.{said}")
    if code == "ErrorImpersonateUserDenied":
        fix = ("grant the app the Office 365 Exchange Online permission full_access_as_app with admin consent, and "
               "check that no application access policy excludes this mailbox." if account.use_oauth else
               "give it the ApplicationImpersonation role (New-ManagementRoleAssignment -Role ApplicationImpersonation).")
        return f"{who} may not impersonate {mailbox} (ErrorImpersonateUserDenied): {fix}{said}"
    if code == "ErrorAccessDenied":
        fix = ("the app lacks full_access_as_app with admin consent, or an application access policy excludes it."
               if account.use_oauth else "the delegated user needs full access (a delegation) on that mailbox, "
               "or turn on Use impersonation.")
        return f"Access to the calendar of {mailbox} is denied (ErrorAccessDenied): {fix}{said}"
    if code == "ErrorInvalidExchangeImpersonationHeaderData":
        fix = ("app-only OAuth tokens must name the mailbox they act for: turn on Use impersonation and give a Test user."
               if account.use_oauth and not account.use_impersonation else "check the Test user address.")
        return f"Exchange refused the impersonation header (ErrorInvalidExchangeImpersonationHeaderData): {fix}{said}"
    if code == "ErrorServerBusy":
        wait = f"it asks to wait {round(backoff_ms / 1000)} s (BackOffMilliseconds {backoff_ms})" if backoff_ms else "wait"
        return (f"Exchange is throttling this account (ErrorServerBusy): {wait} before the next call. If it happens "
                "often, lower the Maximum number of threads for synchronizing.")
    if code in ("ErrorInvalidServerVersion", "ErrorIncorrectSchemaVersion"):
        return f"The server refuses the Exchange server version {account.server_version} ({code}): choose this server's version."
    return f"Exchange answered {code}.{said}"


def _business(account: ExchangeAccount):
    def check(root: ElementTree.Element) -> str | None:
        if root.tag != f"{{{SOAP}}}Envelope":
            return (f"The answer is not an EWS SOAP envelope (root element <{root.tag.rpartition('}')[2]}>): "
                    "the EWS service URL may point at another page, or a proxy answered.")
        error = ews_error(root)
        if error:
            return diagnose_code(account, *error)
        message = root.find(f".//{{{MESSAGES}}}GetFolderResponseMessage")
        if message is None or message.findtext(f"{{{MESSAGES}}}ResponseCode") != "NoError":
            return "Exchange answered without a GetFolder response: the URL may not be the EWS endpoint (…/EWS/Exchange.asmx)."
        return None
    return check


def _describe(account: ExchangeAccount):
    def describe(root: ElementTree.Element) -> str:
        info = root.find(f"{{{SOAP}}}Header/{{{TYPES}}}ServerVersionInfo")
        build = ".".join(info.get(k, "?") for k in ("MajorVersion", "MinorVersion", "MajorBuildNumber", "MinorBuildNumber")) \
            if info is not None else ""
        return f"calendar of {account.mailbox()} found{f' (Exchange build {build})' if build else ''}"
    return describe


def _unauthorized(account: ExchangeAccount, response: httpx.Response) -> str:
    challenge = response.headers.get("WWW-Authenticate", "")
    if account.use_oauth:
        said = f" ({challenge})" if challenge else ""
        return (f"Exchange refused the OAuth token (401){said}: the app needs the Office 365 Exchange Online application "
                "permission full_access_as_app with admin consent, and the token must be for https://outlook.office365.com.")
    host = urlsplit(account.ews_url).hostname or ""
    if challenge and "basic" not in challenge.lower():
        return (f"{host} does not accept Basic authentication (it offers {challenge}): enable Basic authentication on "
                "the EWS virtual directory, or, for Exchange Online, turn on Use OAUTH.")
    online = (" Exchange Online no longer accepts Basic authentication: turn on Use OAUTH."
              if host.endswith("office365.com") else "")
    return (f"Exchange refused the login of {account.delegated_user} (401): check Delegated user and Linked password "
            f"(the login may need the user@domain or DOMAIN\\user form) and that the account is not locked.{online}")


def _on_status(account: ExchangeAccount):
    def explain(response: httpx.Response) -> str | None:
        if response.status_code == 401:
            return _unauthorized(account, response)
        try:
            error = ews_error(ElementTree.fromstring(response.content))
        except ElementTree.ParseError:
            return None
        return diagnose_code(account, *error) if error else None
    return explain


async def test_connection(account: ExchangeAccount, client: httpx.AsyncClient, *, cache: TokenCache = SHARED,
                          on_step=None, timeout_s: float = 30.0) -> TestResult:
    """GetFolder of the calendar, as the delegated user or the app impersonating the test user (CONNECTORS.md §4)."""
    mode = "OAuth" if account.use_oauth else "Basic"
    acting = f", impersonating {account.test_user}" if account.use_impersonation else ""
    result = TestResult("exchange", f"{account.ews_url}, {mode}{acting}")
    probe = Probe(result, account.secrets(), on_step=on_step, timeout_s=timeout_s)
    if account.use_impersonation and not account.test_user:
        probe.failed("Configuration", "Use impersonation is on but no Test user is saved: give the address to impersonate.")
        return result
    headers = {"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"}
    if account.use_impersonation:
        headers["X-AnchorMailbox"] = account.test_user  # routes the request to the mailbox's server, as exchangelib does

    async def call(authorization: str) -> Reply | None:
        return await probe.call(STEP, client, "POST", account.ews_url, expect="xml",
                                headers={**headers, "Authorization": authorization}, content=envelope(account),
                                business=_business(account), describe=_describe(account), on_status=_on_status(account))

    if not account.use_oauth:
        await call(f"Basic {account.basic()}")
        return result
    await with_token(probe, client, STEP, lambda token: call(f"Bearer {token}"), cache=cache,
                     authority_url=account.authority_url, tenant=account.tenant_id, client_id=account.client_id,
                     client_secret=account.client_secret, scope=EWS_SCOPE)
    return result
