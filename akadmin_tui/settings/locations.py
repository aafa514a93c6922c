"""Where akadmin's files live: XDG folders, with environment overrides for scripts and tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def _xdg(env: Mapping[str, str], name: str, fallback: str) -> Path:
    value = env.get(name)
    return Path(value) if value else Path.home() / fallback


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_CONFIG_HOME/akadmin` (default `~/.config/akadmin`)."""
    return _xdg(env, "XDG_CONFIG_HOME", ".config") / "akadmin"


def state_dir(env: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_STATE_HOME/akadmin` (default `~/.local/state/akadmin`)."""
    return _xdg(env, "XDG_STATE_HOME", ".local/state") / "akadmin"


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    """`$AKADMIN_CONFIG`, else `$XDG_CONFIG_HOME/akadmin/config.toml`."""
    explicit = env.get("AKADMIN_CONFIG")
    return Path(explicit) if explicit else config_dir(env) / "config.toml"


def default_key_file(env: Mapping[str, str] = os.environ) -> Path | None:
    """`$AKADMIN_KEY_FILE`, else `$XDG_CONFIG_HOME/akadmin/key` when it exists, else None."""
    explicit = env.get("AKADMIN_KEY_FILE")
    if explicit:
        return Path(explicit)
    candidate = config_dir(env) / "key"
    return candidate if candidate.exists() else None


def demo_dir(env: Mapping[str, str] = os.environ) -> Path:
    """Where `akadmin demo` keeps its working copy of the sample configuration."""
    return state_dir(env) / "demo"


def state_path_for(config_path: Path, document: Mapping | None = None) -> Path:
    """Where the state database of a config lives: Configuration > State database, else beside the config."""
    chosen = ((document or {}).get("state") or {}).get("path") if isinstance(document, Mapping) else None
    if isinstance(chosen, str) and chosen.strip():
        path = Path(chosen.strip()).expanduser()
        return path if path.is_absolute() else config_path.parent / path
    return config_path.with_name(config_path.stem + ".state.sqlite")
