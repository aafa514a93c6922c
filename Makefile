# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each creates the virtual environment in .venv when it is missing (or older than pyproject.toml).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test sample snapshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "akadmin needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## Open the console on the demo configuration.
demo: $(STAMP)
	$(BIN)/akadmin demo

## Run the code's checks, then the whole test suite (what CI runs).
test: $(STAMP)
	bash tests/web/install_browser.sh
	$(BIN)/ruff check akadmin_tui tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 -q

## Regenerate sample_config.toml from the demo values.
sample: $(STAMP)
	$(BIN)/python -m akadmin_tui.sandbox.demo_config sample_config.toml

## Re-record the screen snapshots after a deliberate change of a screen.
snapshots: $(STAMP)
	$(BIN)/python -m pytest tests/snapshots --snapshot-update -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
