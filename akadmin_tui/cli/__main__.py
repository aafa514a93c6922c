"""`python -m akadmin_tui.cli`: the `akadmin` command."""

from . import main

raise SystemExit(main())
