"""Every emulator at once, loaded with the demo credentials, and a config pointed at them."""

from __future__ import annotations

from ..settings import schema
from ..settings.editor import SettingsEditor
from .demo_config import DEMO_RECORDS
from .piste import PisteEmulator, PisteState, TechnicalAccount
from .server import Emulator
from .sirene import SireneEmulator


def _demo(section, key=None) -> dict:
    return next(values for s, k, values in DEMO_RECORDS if s is section and k == key)


def _piste_state() -> PisteState:
    state = PisteState(quota_per_second=5)  # the qualification platform's quota (seed 000)
    companies = {key: values for s, key, values in DEMO_RECORDS if s is schema.COMPANIES}
    for section, key, values in DEMO_RECORDS:
        if section is schema.CHORUS_SPECIAL and values.get("piste_client_id"):
            state.applications[values["piste_client_id"]] = values["piste_secret"]
            company = companies.get(key, {"name": "Demo", "siret": "73282932000074"})
            state.accounts[values["chorus_login"]] = TechnicalAccount(
                values["chorus_password"], 26073616 + len(state.accounts), company["siret"], company["name"])
    return state


class Sandbox:
    """The emulators of the demo, started together on free loopback ports."""

    def __init__(self) -> None:
        self.piste = PisteEmulator(_piste_state())
        self.sirene = SireneEmulator(_demo(schema.SIRENE)["token"])

    @property
    def emulators(self) -> dict[str, Emulator]:
        """Each emulator by name."""
        return {"piste": self.piste, "sirene": self.sirene}

    def start(self) -> dict[str, str]:
        """Start every emulator; returns their base URLs by name."""
        return {name: emulator.start() for name, emulator in self.emulators.items()}

    def stop(self) -> None:
        """Stop every emulator."""
        for emulator in self.emulators.values():
            emulator.stop()

    def point(self, editor: SettingsEditor) -> None:
        """Save the emulators' URLs into the config (their ports change at every start)."""
        editor.apply(schema.CHORUS, None, {"auth_url": self.piste.auth_url, "url": self.piste.api_url})
        editor.apply(schema.SIRENE, None, {"url": self.sirene.api_url})

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
