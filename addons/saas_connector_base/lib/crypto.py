"""Encryption of stored credentials with a server-side master key (Fernet, AES-128-CBC + HMAC).

The master key never lives in the database: it comes from ``saas_master_key`` in odoo.conf or
the ``SAAS_MASTER_KEY`` environment variable. Several comma-separated keys may be given to
rotate the master key: the first one encrypts, all of them decrypt, and :func:`reencrypt`
moves a ciphertext to the first key.
"""

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class MasterKeyError(Exception):
    """The master key is absent or malformed. The message says how to fix it and never
    contains key material."""


class DecryptionError(Exception):
    """A stored secret cannot be decrypted with the configured master key(s)."""


HOW_TO_SET_THE_KEY = (
    "Set 'saas_master_key' in the [options] section of odoo.conf or the SAAS_MASTER_KEY "
    'environment variable to a Fernet key (generate one with: python3 -c "from '
    'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
)


def parse_master_keys(raw):
    """Comma-separated Fernet keys → a :class:`MultiFernet`; the first key encrypts."""
    keys = [part.strip() for part in (raw or "").split(",") if part.strip()]
    if not keys:
        raise MasterKeyError(f"No master key is configured. {HOW_TO_SET_THE_KEY}")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            if len(base64.urlsafe_b64decode(key.encode())) != 32:
                raise ValueError
            fernets.append(Fernet(key.encode()))
        except (ValueError, binascii.Error) as error:
            raise MasterKeyError(
                f"Master key #{position} is not a valid Fernet key (32 url-safe base64-encoded "
                f"bytes). {HOW_TO_SET_THE_KEY}"
            ) from error
    return MultiFernet(fernets)


def encrypt(plaintext, keys):
    """Encrypt ``plaintext`` (str) with the primary key; returns ASCII ciphertext."""
    return keys.encrypt(plaintext.encode()).decode()


def decrypt(ciphertext, keys):
    """Decrypt with any configured key."""
    try:
        return keys.decrypt(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise DecryptionError(
            "A stored secret cannot be decrypted with the configured master key: the key was "
            "changed without keeping the previous one. Add the previous key after the new one "
            "(comma-separated) or enter the secret again."
        ) from error


def reencrypt(ciphertext, keys):
    """Re-encrypt a ciphertext under the primary key (after a master-key rotation)."""
    try:
        return keys.rotate(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise DecryptionError("A stored secret cannot be re-encrypted: unknown key.") from error


def mask(plaintext, visible=4):
    """What a user may see of a secret: its last characters only, and only of long secrets."""
    if not plaintext:
        return ""
    tail = plaintext[-visible:] if len(plaintext) >= 3 * visible else ""
    return f"••••{tail}"
