"""`akadmin test NAME`: a live Test headless, from the one table of Tests."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ..batches.state import StateError, open_state
from ..batches.test_records import records_outcome, remember_test_outcome
from ..connectors.registry import TEST_NAMES, is_configuration_error, run_test
from ..connectors.result import TestResult
from ..settings.editor import SettingsEditor
from ..settings.store import ConfigFile
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, config_target, open_config, runs


def cmd_test(args: argparse.Namespace) -> int:
    target = TEST_NAMES.get(args.section)
    if target is None:
        raise CliError(f"no Test named {args.section!r}; available: {', '.join(TEST_NAMES)}")
    if args.company and not target.uses_company:
        raise CliError(f"--company applies to chorus only, not to {args.section}")
    if args.to is not None and not target.uses_recipient:
        raise CliError(f"--to applies to {', '.join(n for n, e in TEST_NAMES.items() if e.uses_recipient)} only, "
                       f"not to {args.section}")
    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    result = asyncio.run(run_test(target.name, SettingsEditor(config), company=args.company, recipient=args.to))
    print(json.dumps(result.to_json(), indent=2, ensure_ascii=False) if args.json else result.to_text())
    if records_outcome(target.name, result):
        _remember(config, target.name, result)
    if result.passed:
        return EXIT_OK
    return EXIT_USAGE if is_configuration_error(result) else EXIT_FAILED


def _remember(config: ConfigFile, name: str, result: TestResult) -> None:
    """Leave in the state database what a passed Test leaves there from the console too."""
    try:
        store = open_state(config)
    except StateError as error:
        print(f"warning: {error}", file=sys.stderr)
        return
    try:
        remember_test_outcome(store, SettingsEditor(config), name, result)
    finally:
        store.close()


def register(sub: argparse._SubParsersAction) -> None:
    """Add test."""
    test = sub.add_parser("test", help="run a section's live Test headless (exit 1 when it fails)")
    test.add_argument("section", metavar="SECTION", help=", ".join(TEST_NAMES))
    test.add_argument("--company", metavar="CODE", help="for chorus: test the setup that applies to this company")
    test.add_argument("--to", metavar="ADDRESS",
                      help="for mail: the address the test message goes to (default: the Sender address)")
    test.add_argument("--json", action="store_true", help="print the steps as JSON")
    runs(test, cmd_test)
