"""The batch tests' sandbox, demo config and state database, for the contract tests."""

from ..batches.conftest import editor, sandbox, state  # noqa: F401 (fixtures, found by name)
