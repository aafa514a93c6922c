"""Chorus transfer of 500 invoices against the sandbox at production pacing, then a second run.

Run: .venv/bin/python bench/chorus_transfer.py
Prints calls made, invoices per call, the peak calls in any one-second window against the limit, 429s received,
wall time, peak memory, and the ratio of wall time to what depositing and following each invoice one by one
(deposit, flow report, search: three calls an invoice) would take at the same rate.
"""

from __future__ import annotations

from chorus_common import ACME_LOGIN, open_bench, report, run

from akadmin_tui.batches.invoices import import_invoice
from akadmin_tui.batches.state import invoice_files_dir
from akadmin_tui.sandbox import sample_invoices

INVOICES = 500


def main() -> None:
    bench = open_bench()
    try:
        folder = bench.folder / "files"
        folder.mkdir()
        for n in range(INVOICES):
            path = folder / f"F-{n:05d}.xml"
            path.write_bytes(sample_invoices.ubl_invoice(f"F-{n:05d}", amount=f"{100 + n}.00"))
            import_invoice(bench.state, path, "ACME", data_dir=invoice_files_dir(bench.state.path))
        summary, wall, rss = run(bench, "TransfertFacturesClientChorus")
        assert summary.counts.get("integrated") == INVOICES, summary
        report(f"{INVOICES} invoices deposited and followed to their identifiantFactureCPP:", bench, INVOICES, wall, rss,
               3 * INVOICES)
        deposits = bench.sandbox.piste.calls_by_route["factures/v1/deposer/flux"]
        summary, wall, rss = run(bench, "TransfertFacturesClientChorus")
        again = bench.sandbox.piste.calls_by_route["factures/v1/deposer/flux"] - deposits
        print(f"\nSecond run: {again} deposit(s), {len(bench.recorder.stamps)} call(s), {wall:.2f} s "
              f"(every invoice is in CHORUS PRO: {len(bench.sandbox.piste.invoices)} for {ACME_LOGIN})")
    finally:
        bench.sandbox.stop()


if __name__ == "__main__":
    main()
