"""CheckFacturesClientChorus with 10 000 invoices in flight, against the sandbox at production pacing.

Run: .venv/bin/python bench/chorus_status.py
Prints, for a first run (no watermark: the whole list), a run where nothing changed and one where 1 % changed:
calls made, invoices per call, the peak calls in any one-second window against the limit, 429s received,
wall time, peak memory, and the ratio of wall time to what polling each invoice would take at the same rate.
"""

from __future__ import annotations

import datetime as dt

from chorus_common import ACME_LOGIN, open_bench, report, run

INVOICES = 10_000


def main() -> None:
    bench = open_bench()
    try:
        # Invoices whose last status change is a day old, as in a real backlog.
        seeded = bench.sandbox.piste.seed_invoices(ACME_LOGIN, INVOICES, status="MISE_A_DISPOSITION",
                                                   age=dt.timedelta(days=1))
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with bench.state.transaction() as db:
            db.executemany(
                "INSERT INTO invoices (company, number, file_path, file_name, file_sha256, syntax, transfer_state, "
                "flow_number, chorus_id, chorus_status, imported_at, updated_at) VALUES ('ACME', ?, '/x', 'x.xml', 'h', "
                "'IN_DP_E1_UBL_INVOICE', 'integrated', ?, ?, 'MISE_A_DISPOSITION', ?, ?)",
                [(inv.number, inv.flow_number, str(inv.chorus_id), stamp, stamp) for inv in seeded])
        summary, wall, rss = run(bench, "CheckFacturesClientChorus")
        assert summary.counts.get("checked") == INVOICES, summary
        report(f"First run, {INVOICES} invoices, no watermark (full list):", bench, INVOICES, wall, rss, INVOICES)
        summary, wall, rss = run(bench, "CheckFacturesClientChorus")
        assert summary.counts.get("updated", 0) == 0, summary
        report(f"\nNothing changed, {INVOICES} invoices in flight:", bench, INVOICES, wall, rss, INVOICES)
        for invoice in seeded[:: INVOICES // 100]:
            bench.sandbox.piste.set_status(invoice.chorus_id, "COMPLETEE")
        summary, wall, rss = run(bench, "CheckFacturesClientChorus")
        report(f"\n1 % changed ({summary.counts.get('updated', 0)} invoices), {INVOICES} in flight:", bench, INVOICES,
               wall, rss, INVOICES)
    finally:
        bench.sandbox.stop()


if __name__ == "__main__":
    main()
