"""The key reference (F1 or ?): every key of the console, grouped by where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Everywhere", [
        ("ctrl+p", "command palette: jump to any section or field by name"),
        ("F1, ?", "this help (? outside text fields)"),
        ("Escape", "back to the menu; closes a dialog"),
        ("ctrl+b", "hide or show the menu"),
        ("ctrl+q", "quit (asks first when changes are not saved)"),
    ]),
    ("Menu", [
        ("↑ ↓", "move; the section shows on the right"),
        ("Enter", "open the section and go to its first field (a group unfolds, never folds)"),
        ("← →", "fold or unfold a group; ← from an entry goes up to its group"),
        ("Space", "fold or unfold a group"),
    ]),
    ("Form", [
        ("Tab, shift+Tab", "next or previous field"),
        ("Enter, ctrl+s", "save the focused field (a switch too)"),
        ("Space", "toggle a switch"),
        ("F2", "save every modified field of the form"),
        ("ctrl+r", "revert the focused field to its saved value"),
        ("F3", "revert every field of the form"),
        ("ctrl+t", "reveal or mask a secret (masked again when you leave it)"),
        ("Space", "toggle a switch, open a drop-down"),
    ]),
    ("Lists (Companies, Banks, Chorus, Bridge user, Certificates)", [
        ("↑ ↓", "pick a record; its form shows beside"),
        ("Enter", "go to the record's fields"),
        ("ctrl+n", "create a record; in Certificates, import a DER or PEM file"),
        ("F8", "delete the record (asks first)"),
        ("F4", "in Companies: fill the name from the SIRET (SIRENE API)"),
    ]),
    ("Special parameters > Chorus", [
        ("← →", "from the tab bar: the ***** tab, then one tab per company (ctrl+p and a code jumps there)"),
        ("F6", "give the company its own setup (used once complete and switched on)"),
        ("F7", "discard the tab's setup (asks first); the company falls back to *****"),
        ("F9", "copy to company: move the setup to another company, emptying this one"),
    ]),
    ("Test (every interface with a Test button)", [
        ("F5", "run the live Test with the saved values, step by step"),
        ("Escape", "cancel a running Test"),
    ]),
    ("Third-party interfaces > Accounting packages", [
        ("↑ ↓", "pick a configuration; its form shows below, with only its integration's fields (* required)"),
        ("Enter, Tab", "from the table to the form; Escape goes back to the table"),
        ("ctrl+n", "new configuration: its name, integration and document type first (F2 creates it)"),
        ("F5", "Connect with the saved values (refused until the Terms box is ticked and saved)"),
        ("k", "accept and pin the SFTP host key Connect showed (asks first), then Connect again"),
        ("a", "Exact Online, Dropbox: authorise akadmin (sign-in address, then paste the code)"),
        ("a", "Yuki: list the administrations of the API key and pick one"),
        ("ctrl+y", "in the authorisation dialog: copy the sign-in address"),
        ("F8", "delete the configuration (asks first; refused while companies use it)"),
    ]),
    ("Batches > Batch creation and modification", [
        ("↑ ↓", "pick a batch (built-in tasks are listed too; their schedule is set in their interface)"),
        ("Tab", "from the table to the batch's form; Escape goes back to the table"),
        ("ctrl+n", "new batch: its code and template first, then its form (F2 creates it)"),
        ("F2", "save the batch; refused, with the reason, while a required parameter is missing"),
        ("F8", "delete the batch (asks first); its runs and logs stay"),
        ("F5", "Run now, with the saved values"),
        ("p", "pause or resume the batch's schedule (a paused batch still runs with F5)"),
        ("c, ctrl+x", "cancel the running batch (asks first)"),
        ("Enter, h", "the batch's runs and logs"),
    ]),
    ("Batches > Runs and logs", [
        ("↑ ↓", "pick a run; its log shows below, live while it runs (more runs load at the end)"),
        ("Enter", "go into the log to scroll it"),
        ("l", "change the log level shown: all, LOG and above, WARN and above, ERROR only"),
        ("a", "the runs of every batch"),
        ("r", "read the run history again"),
        ("c, ctrl+x", "cancel the highlighted run while it runs (asks first)"),
    ]),
    ("Batches > Invoices (CHORUS PRO)", [
        ("↑ ↓ PgUp PgDn", "move in the invoices (newest first)"),
        ("Home, End", "first or last invoice"),
        ("Enter", "the invoice's CHORUS status history, with the rejection text; it follows the cursor"),
        ("/", "search a number or a customer; Tab reaches the company and status filters"),
        ("r", "read the invoices again"),
        ("Escape", "close the history, then back to the menu"),
    ]),
    ("Dialogs", [
        ("y / n", "confirm or cancel"),
        ("ctrl+s", "create, in a New dialog"),
    ]),
]


def help_text() -> str:
    """The help as markup, one group per block."""
    lines = ["[b]Keys[/b]", ""]
    for group, keys in KEYS:
        lines.append(f"[b]{group}[/b]")
        lines += [f"  {key:<16} {what}" for key, what in keys]
        lines.append("")
    lines.append("[dim]Escape, F1 or q closes this help.[/dim]")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """A scrollable list of every key."""

    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close", id="akadmin.close")]

    def compose(self) -> ComposeResult:
        # A key and its description side by side: a long description wraps in its own column, not under the key.
        with VerticalScroll(id="help-box"):
            yield Static("[b]Keys[/b]", classes="help-title")
            for group, keys in KEYS:
                yield Static(group, classes="help-group", markup=False)
                for key, what in keys:
                    with Horizontal(classes="help-key"):
                        yield Static(key, classes="help-key-name", markup=False)
                        yield Static(what, classes="help-key-what", markup=False)
            yield Static("[dim]Escape, F1 or q closes this help.[/dim]", classes="help-closing")
