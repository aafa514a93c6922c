"""`akadmin service unit|logrotate`: the systemd unit and logrotate snippet of this installation, filled in."""

from __future__ import annotations

import argparse
import getpass
import grp
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from ..batches.state import state_path_for
from ..settings.store import ConfigError, parse_plain, read_document_text
from .common import EXIT_OK, CliError, add_config_options, config_target

UNIT = "systemd/akadmin-scheduler.service"
LOGROTATE = "logrotate/akadmin"


def template(name: str) -> str:
    """A file of akadmin_tui/packaging, as shipped with the package."""
    return resources.files("akadmin_tui").joinpath("packaging", name).read_text(encoding="utf-8")


def akadmin_path() -> str:
    """The absolute path of this installation's `akadmin` command (beside the running Python in a venv)."""
    beside = Path(sys.executable).with_name("akadmin")
    found = str(beside) if beside.exists() else shutil.which("akadmin")
    if not found:
        raise CliError("the akadmin command is not found beside this Python nor on PATH: install akadmin first")
    return str(Path(found).absolute())


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with each @NAME@ replaced by its value."""
    for name, value in values.items():
        if any(char.isspace() for char in value) or "@" in value:
            raise CliError(f"{name.lower().replace('_', ' ')} {value!r}: a path or name with spaces or '@' cannot go "
                           "in a systemd unit as it is; use one without")
        text = text.replace(f"@{name}@", value)
    return text


def _values(args: argparse.Namespace) -> dict[str, str]:
    target = config_target(args)
    config = target.path.absolute()
    if not target.key_file_explicit or target.key_file is None:
        raise CliError("the service reads its key from a credential: give --key-file PATH (a passphrase cannot be "
                       "typed at boot)")
    key_file = Path(target.key_file).absolute()
    try:
        document = parse_plain(read_document_text(config), config)  # the structure only: nothing is decrypted
    except (ConfigError, OSError) as error:
        raise CliError(f"the config cannot be read: {error}") from None
    state = state_path_for(config, document).absolute()
    log = Path(args.log_file).absolute() if args.log_file else state.with_name(state.name + ".scheduler.log")
    user = args.user or getpass.getuser()
    group = args.group or grp.getgrgid(os.getgid()).gr_name
    readme = Path(__file__).resolve().parents[2] / "README.md"
    dirs = sorted({str(config.parent), str(state.parent), str(log.parent)})
    return {"AKADMIN": akadmin_path(), "CONFIG": str(config), "KEY_FILE": str(key_file), "LOG": str(log),
            "USER": user, "GROUP": group, "STATE_DIRS": " ".join(dirs), "README": str(readme)}


def cmd_service_unit(args: argparse.Namespace) -> int:
    print(fill(template(UNIT), _values(args)), end="")
    return EXIT_OK


def cmd_service_logrotate(args: argparse.Namespace) -> int:
    print(fill(template(LOGROTATE), _values(args)), end="")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add service unit and service logrotate."""
    service = sub.add_parser("service", help="print the systemd unit or the logrotate snippet for this installation")
    service_sub = service.add_subparsers(dest="service_command", metavar="WHAT", required=True)
    for name, func, what in (("unit", cmd_service_unit, "the systemd unit of akadmin scheduler"),
                             ("logrotate", cmd_service_logrotate, "the logrotate snippet of its log")):
        parser = service_sub.add_parser(name, help=f"print {what}, with this installation's paths")
        add_config_options(parser, suppress=True)
        parser.add_argument("--user", help="the account the service runs as (default: the current user)")
        parser.add_argument("--group", help="its group (default: the current group)")
        parser.add_argument("--log-file", metavar="PATH", help="the scheduler's log (default: <state>.scheduler.log)")
        parser.set_defaults(func=func)
