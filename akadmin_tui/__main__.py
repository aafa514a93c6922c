"""`python -m akadmin_tui`: the `akadmin` command."""

from .cli import main

raise SystemExit(main())
