"""Creating a config file and managing its vault recipients (`init`, `rekey`)."""

from __future__ import annotations

from pathlib import Path

from .store import ConfigFile, SaveError
from .template import new_document
from .vault import (
    ScryptParams,
    Vault,
    VaultError,
    WrongPassphrase,
    create_key_file,
    read_key_file,
    unwrap_with_passphrase,
    wrap_for_key_file,
    wrap_for_passphrase,
)


def key_for(path: Path, create: bool) -> bytes:
    """Read the key file at `path`, creating it first when `create` and it is absent."""
    if create and not path.exists():
        return create_key_file(path)
    return read_key_file(path)


def init_config(path: Path, *, key_file: Path | None = None, passphrase: str | None = None,
                scrypt: ScryptParams | None = None) -> ConfigFile:
    """Write a new commented config with the schema's defaults; refuses to overwrite a file."""
    if key_file is None and not passphrase:
        raise VaultError("a new config needs a key file or a passphrase")
    if path.exists():
        raise SaveError(f"{path} already exists; it was not overwritten")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise SaveError(f"cannot create the folder of {path}: {error.strerror or error}") from None
    vault = Vault.generate()
    config = ConfigFile(path, new_document(), vault)
    if passphrase:
        config.set_recipient("passphrase", wrap_for_passphrase(vault.data_key, passphrase, scrypt))
    created_key = key_file is not None and not key_file.exists()
    try:
        if key_file is not None:
            config.set_recipient("key_file", wrap_for_key_file(vault.data_key, key_for(key_file, create=True)))
        config.save()
    except BaseException:
        if created_key and key_file is not None:
            key_file.unlink(missing_ok=True)  # a key that opens nothing is only clutter
        raise
    return config


def rotate_data_key(config: ConfigFile, *, passphrase: str | None, key: bytes | None,
                    scrypt: ScryptParams | None = None) -> None:
    """Re-encrypt every secret under a new data key and re-wrap it for the given recipients.

    Each recipient the file has must be provided again (the passphrase, or the key file's bytes);
    a recipient passed as None is dropped, so this also removes recipients.
    """
    if passphrase is None and key is None:
        raise VaultError("the vault must keep at least one recipient (a passphrase or a key file)")
    new = Vault.generate()
    config.replace_vault(new)
    config.set_recipient("passphrase", wrap_for_passphrase(new.data_key, passphrase, scrypt) if passphrase else None)
    config.set_recipient("key_file", wrap_for_key_file(new.data_key, key) if key is not None else None)
    # The backup would still open with the old data key, defeating the rotation: it goes.
    config.save(keep_backup=False)


def add_key_file(config: ConfigFile, key_file: Path) -> None:
    """Wrap the current data key for a key file (created when absent); no secret is retyped."""
    recipients = config.recipients()
    if recipients.key_file:
        raise VaultError(
            f"{config.path} already has a key-file recipient (fingerprint {recipients.key_fingerprint}); "
            "remove it first with: akadmin rekey --remove-key-file"
        )
    key = key_for(key_file, create=True)
    config.set_recipient("key_file", wrap_for_key_file(config.vault.data_key, key))
    config.save()


def add_passphrase(config: ConfigFile, passphrase: str, scrypt: ScryptParams | None = None) -> None:
    """Add a passphrase recipient to a vault that has none; no secret is retyped."""
    if config.recipients().passphrase:
        raise VaultError(f"{config.path} already has a passphrase; use: akadmin rekey --change-passphrase")
    config.set_recipient("passphrase", wrap_for_passphrase(config.vault.data_key, passphrase, scrypt))
    config.save()


def check_passphrase(config: ConfigFile, passphrase: str) -> None:
    """Raise WrongPassphrase unless `passphrase` opens this vault's passphrase recipient."""
    entry = config.plain()["vault"]["passphrase"]
    if unwrap_with_passphrase(entry, passphrase) != config.vault.data_key:
        raise WrongPassphrase("wrong passphrase: it does not open this vault")
