"""The state database's schema, one migration per version; the list only ever grows."""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: when each Test last passed, and against which CHORUS PRO environment.
    """
    CREATE TABLE test_results (
        section TEXT NOT NULL,
        target TEXT NOT NULL,
        environment TEXT NOT NULL DEFAULT '',
        passed_at TEXT NOT NULL,
        PRIMARY KEY (section, target)
    );
    """,
    # 2: invoices and their CHORUS PRO life, batch runs, signatures, bank transactions, alerts.
    """
    CREATE TABLE invoices (
        id INTEGER PRIMARY KEY,
        company TEXT NOT NULL,
        number TEXT NOT NULL,
        issue_date TEXT NOT NULL DEFAULT '',
        amount TEXT NOT NULL DEFAULT '',
        currency TEXT NOT NULL DEFAULT 'EUR',
        customer TEXT NOT NULL DEFAULT '',
        customer_siret TEXT NOT NULL DEFAULT '',
        file_path TEXT NOT NULL,
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        syntax TEXT NOT NULL,
        manager_email TEXT NOT NULL DEFAULT '',
        transfer_state TEXT NOT NULL DEFAULT 'pending',
        flow_number TEXT,
        chorus_id TEXT,
        chorus_status TEXT NOT NULL DEFAULT '',
        chorus_status_at TEXT NOT NULL DEFAULT '',
        erp_status TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '',
        imported_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (company, number)
    );
    CREATE INDEX invoices_by_status ON invoices (company, chorus_status);
    CREATE INDEX invoices_by_company ON invoices (company, id);
    CREATE INDEX invoices_by_transfer ON invoices (transfer_state, company);
    CREATE INDEX invoices_by_chorus_id ON invoices (chorus_id);
    CREATE INDEX invoices_by_flow ON invoices (flow_number);
    CREATE TABLE invoice_status_history (
        id INTEGER PRIMARY KEY,
        invoice_id INTEGER NOT NULL REFERENCES invoices (id),
        status TEXT NOT NULL,
        status_at TEXT NOT NULL DEFAULT '',
        comment TEXT NOT NULL DEFAULT '',
        erp_status TEXT NOT NULL DEFAULT '',
        run_id INTEGER,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX history_by_invoice ON invoice_status_history (invoice_id, id);
    CREATE TABLE deposits (
        id INTEGER PRIMARY KEY,
        invoice_id INTEGER NOT NULL REFERENCES invoices (id),
        file_name TEXT NOT NULL,
        state TEXT NOT NULL,
        flow_number TEXT,
        flow_state TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        run_id INTEGER,
        started_at TEXT NOT NULL,
        answered_at TEXT
    );
    CREATE INDEX deposits_by_invoice ON deposits (invoice_id, id);
    CREATE TABLE batch_runs (
        id INTEGER PRIMARY KEY,
        batch_code TEXT NOT NULL,
        template TEXT NOT NULL,
        trigger TEXT NOT NULL,
        started_by TEXT NOT NULL DEFAULT '',
        host TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT NOT NULL DEFAULT 'running',
        summary TEXT NOT NULL DEFAULT '',
        counts TEXT NOT NULL DEFAULT '{}',
        errors INTEGER NOT NULL DEFAULT 0,
        warnings INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX runs_by_batch ON batch_runs (batch_code, id);
    CREATE TABLE run_log (
        run_id INTEGER NOT NULL REFERENCES batch_runs (id),
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        level TEXT NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE batch_control (
        batch_code TEXT PRIMARY KEY,
        paused INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        history_id INTEGER NOT NULL UNIQUE REFERENCES invoice_status_history (id),
        invoice_id INTEGER NOT NULL,
        status TEXT NOT NULL,
        recipient TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        run_id INTEGER
    );
    CREATE TABLE chorus_usage (
        account TEXT NOT NULL,
        day TEXT NOT NULL,
        calls INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account, day)
    );
    CREATE TABLE chorus_watermarks (
        account TEXT PRIMARY KEY,
        checked_from TEXT NOT NULL
    );
    CREATE TABLE signature_transactions (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT '',
        signers_total INTEGER NOT NULL DEFAULT 0,
        signers_signed INTEGER NOT NULL DEFAULT 0,
        folder TEXT NOT NULL DEFAULT '',
        documents INTEGER NOT NULL DEFAULT 0,
        downloaded_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE bank_accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        iban TEXT NOT NULL DEFAULT '',
        company TEXT NOT NULL DEFAULT '',
        currency TEXT NOT NULL DEFAULT 'EUR',
        last_sync_at TEXT
    );
    CREATE TABLE statements (
        id INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES bank_accounts (id),
        company TEXT NOT NULL DEFAULT '',
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        transactions INTEGER NOT NULL,
        total TEXT NOT NULL,
        generated_at TEXT NOT NULL,
        run_id INTEGER
    );
    CREATE TABLE bank_transactions (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES bank_accounts (id),
        date TEXT NOT NULL,
        amount TEXT NOT NULL,
        currency TEXT NOT NULL DEFAULT 'EUR',
        label TEXT NOT NULL DEFAULT '',
        statement_id INTEGER REFERENCES statements (id),
        fetched_at TEXT NOT NULL
    );
    CREATE INDEX bank_transactions_pending ON bank_transactions (account_id, statement_id);
    """,
    # 3: what the AccountingExport batch delivered to each company's accounting package, and what became of it.
    """
    CREATE TABLE accounting_deliveries (
        id INTEGER PRIMARY KEY,
        company TEXT NOT NULL,
        configuration TEXT NOT NULL,
        kind TEXT NOT NULL,
        source_key TEXT NOT NULL,
        file_name TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        state TEXT NOT NULL,
        remote_id TEXT NOT NULL DEFAULT '',
        remote_status TEXT NOT NULL DEFAULT '',
        remote_reason TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        run_id INTEGER,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        UNIQUE (configuration, source_key)
    );
    CREATE INDEX deliveries_by_state ON accounting_deliveries (state, configuration);
    """,
    # 4: when CheckFacturesClientChorus left an invoice whose flow CHORUS PRO rejected (it has nothing to follow).
    """
    ALTER TABLE invoices ADD COLUMN status_check_left_at TEXT NOT NULL DEFAULT '';
    """,
    # 5: when the running host plans each batch next, so the command line and other consoles show its plan.
    """
    CREATE TABLE planned_runs (
        batch_code TEXT PRIMARY KEY,
        next_run TEXT,
        host TEXT NOT NULL,
        planned_at TEXT NOT NULL
    );
    """,
]
