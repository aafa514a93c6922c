"""`akadmin certs import|list|remove`: the certificate authorities every Test trusts."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..settings import schema
from ..settings.certificates import (
    CertificateError,
    default_alias,
    describe,
    parse_certificate,
    read_certificate_file,
    to_pem,
)
from ..settings.editor import SettingsEditor
from ..settings.validate import codes_of
from .common import EXIT_FAILED, EXIT_OK, CliError, config_target, open_config, open_locked, runs


def cmd_certs_import(args: argparse.Namespace) -> int:
    try:
        cert = read_certificate_file(Path(args.file))
    except CertificateError as error:
        raise CliError(str(error)) from None
    alias = args.alias or default_alias(cert)
    info = describe(cert)
    config = open_locked(config_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        warnings = SettingsEditor(config).create(schema.CERTIFICATES, alias, {"pem": to_pem(cert)})
    finally:
        config.lock.release()
    print(f"Imported {alias}:", *info.lines(), sep="\n  ", file=sys.stderr)
    for warning in warnings:
        print(f"warning: {warning.message}", file=sys.stderr)
    return EXIT_OK


def cmd_certs_list(args: argparse.Namespace) -> int:
    config = open_config(config_target(args), passphrase_stdin=args.passphrase_stdin, read_only=True)
    found = {}
    for alias, record in codes_of(schema.CERTIFICATES, config.plain()).items():
        try:
            found[alias] = describe(parse_certificate(str(record.get("pem", "")).encode("ascii", "replace")))
        except CertificateError as error:
            raise CliError(f"certificates.{alias}: {error}") from None
    if args.json:
        print(json.dumps({alias: {"subject": i.subject, "issuer": i.issuer, "sha256": i.sha256,
                                  "not_after": i.not_after.isoformat(), "expired": i.expired, "is_ca": i.is_ca}
                          for alias, i in found.items()}, indent=2))
    else:
        for alias, info in found.items():
            print(alias, *info.lines(), sep="\n  ")
    return EXIT_OK


def cmd_certs_remove(args: argparse.Namespace) -> int:
    config = open_locked(config_target(args), passphrase_stdin=args.passphrase_stdin)
    try:
        editor = SettingsEditor(config)
        if not editor.exists(schema.CERTIFICATES, args.alias):
            raise CliError(f"no certificate named {args.alias}", EXIT_FAILED)
        editor.remove(schema.CERTIFICATES, args.alias)
    finally:
        config.lock.release()
    print(f"Removed certificate {args.alias}", file=sys.stderr)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add certs import, list and remove."""
    certs = sub.add_parser("certs", help="trusted certificate authorities (Configuration > Certificates)")
    certs_sub = certs.add_subparsers(dest="certs_command", metavar="ACTION", required=True)
    imp = certs_sub.add_parser("import", help="trust a CA certificate from a DER or PEM file")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--alias", metavar="NAME", help="name in the config (default: from its common name)")
    lst = certs_sub.add_parser("list", help="list the imported certificates")
    lst.add_argument("--json", action="store_true")
    rem = certs_sub.add_parser("remove", help="stop trusting an imported certificate")
    rem.add_argument("alias", metavar="ALIAS")
    for parser_, func in ((imp, cmd_certs_import), (lst, cmd_certs_list), (rem, cmd_certs_remove)):
        runs(parser_, func)
