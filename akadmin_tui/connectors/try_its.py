"""The "try it" panels: use an interface for real with the saved settings (a SIRET, a receipt, two addresses)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..settings import schema
from ..settings.editor import SettingsEditor, trusted_certificates
from . import google_maps, mindee, sirene
from .files import UnreadableFile, read_limited_async
from .http import make_client
from .probe import Probe
from .result import TestResult

RECEIPT_LIMIT = 10 * 2**20  # Mindee's own limit for a document
# A receipt made for akadmin (a one-page PDF), offered in the OCR panel so the reading can be tried at once.
SAMPLE_RECEIPT = Path(__file__).resolve().parent.parent / "sandbox" / "samples" / "receipt.pdf"


class TryFailed(Exception):
    """A "try it" that gave no answer; the text says why."""


@dataclass(frozen=True)
class TryIt:
    """A panel that uses an interface for real: what to type, and what runs."""

    title: str
    prompts: tuple[str, ...]
    run: Callable[[SettingsEditor, list[str], httpx.AsyncClient], Awaitable[str]]
    defaults: tuple[str, ...] = ()  # what the inputs hold when the panel opens


async def try_sirene(editor: SettingsEditor, inputs: list[str], client: httpx.AsyncClient) -> str:
    """The name and address of a company from its SIRET or SIREN."""
    values = editor.values(schema.SIRENE)
    if not values.get("token"):
        raise TryFailed(f"No '{schema.SIRENE.field('token').label}' is saved.")
    account = sirene.SireneAccount(values["url"], values["token"])
    try:
        found = await sirene.lookup(account, client, inputs[0])
    except sirene.LookupFailed as error:
        raise TryFailed(Probe(TestResult("sirene"), [account.token]).redact(str(error))) from None
    state = "" if found.active else "  (closed)"
    return f"{found.name}{state}\n{found.address or 'address: look up a SIRET for the establishment address'}"


async def try_receipt(editor: SettingsEditor, inputs: list[str], client: httpx.AsyncClient) -> str:
    """What Mindee reads on a receipt file of this host."""
    values = editor.values(schema.OCR)
    if not (values.get("mindee_rest_url") and values.get("mindee_token")):
        raise TryFailed("Save the Mindee rest url and token first.")
    path = Path(inputs[0].strip())
    try:
        data = await read_limited_async(path, RECEIPT_LIMIT, "a receipt")
    except UnreadableFile as error:
        raise TryFailed(str(error)) from None
    try:
        reading = await mindee.read_receipt(mindee.MindeeAccount(values["mindee_rest_url"], values["mindee_token"]),
                                            client, data, path.name)
    except mindee.MindeeError as error:
        raise TryFailed(str(error)) from None
    return reading.summary()


async def try_distance(editor: SettingsEditor, inputs: list[str], client: httpx.AsyncClient) -> str:
    """Google's suggestions for two addresses and the driving distance between them."""
    values = editor.values(schema.GOOGLE_API)
    places = google_maps.GoogleMapsAccount.from_settings(values, values.get("place_autocomplete_key"))
    matrix = google_maps.GoogleMapsAccount.from_settings(values, values.get("distance_matrix_key"))
    if not (places.key and matrix.key):
        raise TryFailed("Save both API keys first.")
    try:
        lines = []
        for text in inputs:
            suggestions = await google_maps.suggest(places, client, text)
            lines.append(f"{text!r}: " + ("; ".join(suggestions[:3]) if suggestions else "no suggestion"))
        km = await google_maps.distance_km(matrix, client, inputs[0], inputs[1])
    except google_maps.GoogleMapsError as error:
        raise TryFailed(str(error)) from None
    return "\n".join([*lines, f"Distance: {km:.1f} km"])


TRY_ITS: dict[str, TryIt] = {
    schema.SIRENE.id: TryIt("Try it: fill in a customer from its SIRET or SIREN", ("SIRET or SIREN",), try_sirene),
    schema.OCR.id: TryIt("Try it: read a receipt file (a PDF or an image; a sample is filled in)",
                         ("path of a receipt file on this host",), try_receipt, defaults=(str(SAMPLE_RECEIPT),)),
    schema.GOOGLE_API.id: TryIt("Try it: two addresses, their suggestions and the distance",
                                ("departure address", "arrival address"), try_distance),
}


async def run_try(section_id: str, editor: SettingsEditor, inputs: list[str],
                  client: httpx.AsyncClient | None = None) -> str:
    """Run a section's "try it" with the saved settings; raises TryFailed with the reason."""
    try_it = TRY_ITS[section_id]
    if client is not None:
        return await try_it.run(editor, inputs, client)
    async with make_client(extra_ca_pems=trusted_certificates(editor)) as own:
        return await try_it.run(editor, inputs, own)
