"""Command palette entries: every section and every field, reachable by typing its name."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..settings import schema


class SettingsCommands(Provider):
    """Jump to a section, or straight to one of its fields."""

    def _entries(self):
        for section in schema.SECTIONS:
            where = " > ".join(section.menu)
            yield where, section.intro.split(". ")[0], section.id, None, None
            for field in section.fields:
                yield f"{where} > {field.label}", f"{'.'.join(section.table)}.{field.key}", section.id, field.key, None
        # Each company's Chorus tab, reachable by typing its code.
        editor = getattr(self.screen, "editor", None)
        if editor is not None:
            where = " > ".join(schema.CHORUS_SPECIAL.menu)
            for code in editor.listed_keys(schema.CHORUS_SPECIAL):
                yield f"{where} > {code}", f"the CHORUS PRO setup of {code}", schema.CHORUS_SPECIAL.id, None, code

    def _open(self, section_id: str, field_key: str | None, record: str | None = None) -> None:
        open_section = getattr(self.screen, "open_section", None)
        if open_section is None:
            return
        if record is None:
            open_section(section_id, field_key=field_key)
            return
        # The record's own form takes the focus, not the first form the section shows.
        view = open_section(section_id, focus=False)
        view.call_after_refresh(view.open_record, record)

    async def discover(self) -> Hits:
        for section in schema.SECTIONS:
            yield DiscoveryHit(" > ".join(section.menu), partial(self._open, section.id, None),
                               help=section.intro.split(". ")[0])

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, section_id, field_key, record in self._entries():
            score = max(matcher.match(text), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._open, section_id, field_key, record),
                          help=help_text)
