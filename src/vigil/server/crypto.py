"""Field-level encryption and blind indexes: pure helpers, no Django.

* ``Keyring`` holds named 256-bit AES keys; the first one is *current* and encrypts, every one
  decrypts. Rotation: put a new key first, keep the old ones until ``manage.py rotate_field_keys``
  has re-encrypted every value, then drop them.
* A ciphertext is the text ``vf1.<key id>.<base64url(nonce || AES-GCM(ciphertext+tag))>``. The
  *context* (``"cases.person.given_name"``) is bound as associated data, so a value copied into
  another column or table does not decrypt.
* A blind index is an HMAC-SHA256 of the normalised value under a separate index key, also bound
  to a context; it allows exact-match search without storing or comparing plaintext.

Keys come from the environment as ``id:base64key`` items separated by commas
(``VIGIL_FIELD_KEYS="k2026:...,k2025:..."``). ``DEMO_FIELD_KEYS`` / ``DEMO_INDEX_KEY`` are derived
from public strings: they are INSECURE and exist only so that a laptop demo starts with no set-up;
production settings refuse them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "vf1"
NONCE_BYTES = 12
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyringError(ValueError):
    """A key specification that cannot be used (bad format, wrong length, duplicate id)."""


class DecryptionError(ValueError):
    """A ciphertext that does not decrypt: unknown key, wrong context, or tampered bytes.

    The message never contains the ciphertext or any part of the plaintext.
    """


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64d(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def generate_key() -> str:
    """A fresh random key, base64url-encoded (what goes after ``id:`` in ``VIGIL_FIELD_KEYS``)."""
    return _b64e(secrets.token_bytes(KEY_BYTES))


def _insecure_demo_key(label: str) -> str:
    return _b64e(
        hashlib.sha256(f"vigil INSECURE demo key, never use in production: {label}".encode()).digest()
    )


#: INSECURE: derived from a public string. For laptops and demos only; refused in production.
DEMO_FIELD_KEYS = f"demo-insecure:{_insecure_demo_key('field')}"
#: INSECURE: derived from a public string. For laptops and demos only; refused in production.
DEMO_INDEX_KEY = _insecure_demo_key("index")


def parse_key(text: str) -> bytes:
    """Decode one base64url (or standard base64) 32-byte key."""
    text = text.strip()
    try:
        raw = _b64d(text.replace("+", "-").replace("/", "_"))
    except (ValueError, UnicodeError):
        raise KeyringError("key is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise KeyringError(f"key must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def parse_keys(spec: str) -> list[tuple[str, bytes]]:
    """Parse ``"id1:key1,id2:key2"``; the first item is the current key."""
    keys: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for n, item in enumerate(p for p in spec.split(",") if p.strip()):
        key_id, sep, key_text = item.strip().partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise KeyringError(f"item {n + 1}: expected 'id:base64key' with an id of A-Z a-z 0-9 _ -")
        if key_id in seen:
            raise KeyringError(f"item {n + 1}: duplicate key id {key_id!r}")
        try:
            keys.append((key_id, parse_key(key_text)))
        except KeyringError as exc:
            raise KeyringError(f"item {n + 1} ({key_id}): {exc}") from None
        seen.add(key_id)
    if not keys:
        raise KeyringError("no key given")
    return keys


def normalise(value: str) -> str:
    """The form a value takes before blind indexing: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def normalise_phone(value: str) -> str:
    """Digits only, keeping a leading ``+`` (so ``+41 79 123 45 67`` == ``+41791234567``)."""
    value = value.strip()
    digits = re.sub(r"\D", "", value)
    return ("+" + digits) if value.startswith("+") else digits


class Keyring:
    """Named AES-256-GCM keys (first = current) plus one HMAC key for blind indexes."""

    def __init__(self, keys: Sequence[tuple[str, bytes]], index_key: bytes) -> None:
        if not keys:
            raise KeyringError("no key given")
        for key_id, key in keys:
            if not _KEY_ID.match(key_id) or len(key) != KEY_BYTES:
                raise KeyringError(f"bad key {key_id!r}")
        if len(index_key) != KEY_BYTES:
            raise KeyringError(f"index key must be {KEY_BYTES} bytes")
        self.current_id = keys[0][0]
        self._aead = {key_id: AESGCM(key) for key_id, key in keys}
        self._index_key = index_key

    @classmethod
    def from_spec(cls, field_keys: str, index_key: str) -> Keyring:
        return cls(parse_keys(field_keys), parse_key(index_key))

    @property
    def key_ids(self) -> list[str]:
        return list(self._aead)

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.current_id].encrypt(nonce, plaintext.encode("utf-8"), context.encode())
        return f"{PREFIX}.{self.current_id}.{_b64e(nonce + sealed)}"

    def decrypt(self, token: str, context: str) -> str:
        key_id = key_id_of(token)
        aead = self._aead.get(key_id)
        if aead is None:
            raise DecryptionError(f"{context}: key {key_id!r} is not in the keyring")
        try:
            raw = _b64d(token.split(".", 2)[2])
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError, IndexError):
            raise DecryptionError(f"{context}: value does not decrypt (tampered or wrong column)") from None
        return plain.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        return key_id_of(token) != self.current_id

    def blind_index(self, value: str, context: str, *, phone: bool = False) -> str:
        """Hex HMAC-SHA256 of the normalised value; ``""`` for an empty value."""
        norm = normalise_phone(value) if phone else normalise(value)
        if not norm:
            return ""
        msg = context.encode() + b"\x00" + norm.encode("utf-8")
        return hmac.new(self._index_key, msg, hashlib.sha256).hexdigest()


def key_id_of(token: str) -> str:
    parts = token.split(".", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not a Vigil ciphertext")
    return parts[1]


def is_ciphertext(value: str) -> bool:
    return value.startswith(PREFIX + ".") and value.count(".") >= 2


def uses_demo_keys(field_keys: str, index_key: str, demo_ids: Iterable[str] = ("demo-insecure",)) -> bool:
    """True when the configuration contains any of the public, insecure demo keys."""
    demo_field = {k for _, k in parse_keys(DEMO_FIELD_KEYS)}
    keys = parse_keys(field_keys)
    if any(k in demo_field or key_id in demo_ids for key_id, k in keys):
        return True
    return parse_key(index_key) == parse_key(DEMO_INDEX_KEY)
