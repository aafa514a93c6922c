"""Messages for the whole console: posted to the App or passed between screens, not owned by one widget."""

from __future__ import annotations

from textual.message import Message

from .settings.store import ConfigFile


class ConfigUnlocked(Message):
    """The passphrase opened the vault: the App can start on this configuration."""

    def __init__(self, config: ConfigFile) -> None:
        super().__init__()
        self.config = config
