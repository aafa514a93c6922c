"""`akadmin invoices import|list|release`: the invoices for CHORUS PRO."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from ..settings import schema
from ..settings.chorus_statuses import INVOICE_STATUSES
from .common import EXIT_FAILED, EXIT_OK, CliError, open_with_state, runs


def cmd_invoices_import(args: argparse.Namespace) -> int:
    from ..batches.invoices import import_invoice
    from ..batches.state import invoice_files_dir

    _config, editor, state = open_with_state(args)
    if args.company not in [k for k in editor.record_keys(schema.COMPANIES) if k]:
        raise CliError(f"company {args.company!r} is not in Companies; add it first (or check the code)")
    failed = False
    results = []
    for name in args.files:
        outcome = import_invoice(state, Path(name), args.company, manager_email=args.manager or "",
                                 data_dir=invoice_files_dir(state.path))
        failed |= outcome.status == "refused"
        if args.json:
            results.append({"file": str(outcome.path), "status": outcome.status, "message": outcome.message,
                            "invoice_id": outcome.invoice_id})
        else:
            print(f"{outcome.status:<16} {outcome.message}",
                  file=sys.stderr if outcome.status == "refused" else sys.stdout)
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    return EXIT_FAILED if failed else EXIT_OK


def cmd_invoices_release(args: argparse.Namespace) -> int:
    from ..batches.queries import deposits

    _config, _editor, state = open_with_state(args)
    row = deposits.transfer_state_of(state, company=args.company, number=args.number)
    if row is None:
        raise CliError(f"no invoice {args.number} of company {args.company}")
    if row["transfer_state"] != "sending":
        raise CliError(f"invoice {args.number} is {row['transfer_state']}, not in doubt: nothing to release")
    deposits.release(state, invoice_id=row["id"], at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    print(f"invoice {args.number} of {args.company} is pending again: the next transfer deposits it")
    return EXIT_OK


def cmd_invoices_list(args: argparse.Namespace) -> int:
    from ..batches.invoices import InvoiceFilter, count_invoices, list_invoices

    _config, _editor, state = open_with_state(args)
    flt = InvoiceFilter(company=args.company, status=args.status, text=args.search)
    rows = list_invoices(state, flt, 0, args.limit)
    if args.json:
        print(json.dumps([row.__dict__ for row in rows], indent=2, ensure_ascii=False, default=str))
        return EXIT_OK
    print(f"{count_invoices(state, flt)} invoice(s); showing {len(rows)}")
    for row in rows:
        print(f"{row.company:<8} {row.number:<18} {row.amount:>12} {row.currency} {row.transfer_state:<11} "
              f"{row.chorus_status or '-':<22} {row.erp_status}")
    return EXIT_OK


def chorus_status(text: str) -> str:
    """A --status value: a CHORUS PRO status in any case, or "" for the invoices without one yet."""
    status = text.strip().upper()
    if status and status not in INVOICE_STATUSES:
        # A typo would otherwise list no invoice at all, as if there were none.
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a CHORUS PRO status; the statuses are: {', '.join(sorted(INVOICE_STATUSES))} "
            '(or "" for the invoices without a status yet)')
    return status


def register(sub: argparse._SubParsersAction) -> None:
    """Add invoices import, list and release."""
    invoices = sub.add_parser("invoices", help="invoices for CHORUS PRO: import files, list them")
    invoices_sub = invoices.add_subparsers(dest="invoices_command", metavar="ACTION", required=True)
    imp = invoices_sub.add_parser("import", help="import Factur-X PDF, UBL or CII XML invoices (exit 1 if one is refused)")
    imp.add_argument("files", metavar="FILE", nargs="+")
    imp.add_argument("--company", metavar="CODE", required=True, help="the issuing company (see Companies)")
    imp.add_argument("--manager", metavar="EMAIL", help="the invoice manager alerted on CHORUS statuses")
    imp.add_argument("--json", action="store_true", help="one object per file: file, status, message, invoice_id")
    show = invoices_sub.add_parser("list", help="list invoices (newest first)")
    show.add_argument("--company", metavar="CODE")
    show.add_argument("--status", metavar="STATUS", type=chorus_status,
                      help='a CHORUS PRO status, e.g. REJETEE; "" for the invoices without one yet')
    show.add_argument("--search", metavar="TEXT", help="in the number or the customer")
    show.add_argument("--limit", type=int, default=50)
    show.add_argument("--json", action="store_true")
    release = invoices_sub.add_parser("release", help="send again an invoice whose deposit got no answer, once the "
                                                      "CHORUS PRO portal shows it never arrived")
    release.add_argument("number", metavar="NUMBER")
    release.add_argument("--company", metavar="CODE", required=True)
    for parser_, func in ((imp, cmd_invoices_import), (show, cmd_invoices_list), (release, cmd_invoices_release)):
        runs(parser_, func)
