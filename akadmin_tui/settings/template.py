"""A new, commented config document holding the schema's defaults (`akadmin init`)."""

from __future__ import annotations

import textwrap

import tomlkit
from tomlkit.toml_document import TOMLDocument

from . import schema
from .fields import Kind, Section, Shape
from .vault import FORMAT_VERSION, VAULT_TABLE

HEADER = """\
akadmin configuration: the Administration console's third-party interfaces.
Tables and keys are readable; secret values are encrypted (ENC[...]) and the whole document is
signed by the MAC in [vault]. Edit it with akadmin (console, or `akadmin config set`): a change
made by hand to any key or value is refused at the next load. Comments may be edited freely."""


def _comment_block(container, text: str, width: int = 98) -> None:
    for paragraph in text.splitlines():
        for line in textwrap.wrap(paragraph, width) or [""]:
            container.add(tomlkit.comment(line))


def _first_sentence(text: str) -> str:
    head = text.split("\n")[0].split(". ")[0].rstrip(".:")
    return head + "."


def section_table(section: Section, *, with_comments: bool = True):
    """A table holding a record of `section` with its defaults, each key under its label."""
    table = tomlkit.table()
    if with_comments:
        _comment_block(table, " > ".join(section.menu))
    for field in section.fields:
        if field.default is None and field.kind is not Kind.SECRET:
            continue
        if with_comments:
            _comment_block(table, f"{field.label}: {_first_sentence(field.help)}")
        table.add(field.key, "" if field.kind is Kind.SECRET else field.default)
    return table


def new_document() -> TOMLDocument:
    """The document `akadmin init` writes, before its vault recipients are added."""
    doc = tomlkit.document()
    _comment_block(doc, HEADER)
    doc.add(tomlkit.nl())
    vault = tomlkit.table()
    vault.add(tomlkit.comment("Written by akadmin: the format version, the wrapped data keys and the MAC."))
    vault.add("version", FORMAT_VERSION)
    doc.add(VAULT_TABLE, vault)
    for section in schema.SECTIONS:
        if section.shape is Shape.TABLE:
            _put(doc, section.table, section_table(section))
        elif section.shape is Shape.COLLECTION:
            for key in section.fixed_keys:
                _put(doc, section.table + (key,), section_table(section))
    return doc


def _put(doc: TOMLDocument, path: tuple[str, ...], table) -> None:
    node = doc
    for part in path[:-1]:
        if part not in node:
            node.append(part, tomlkit.table(is_super_table=True))
        node = node[part]
    node.append(path[-1], table)
