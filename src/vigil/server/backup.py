"""Encrypted backups of the whole database: ``vigil backup FILE`` and ``vigil restore FILE``.

What is copied:

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent image of the
  database while the server runs (WAL included) into a private temporary file next to the database
  (the directory that already holds the data), which is then encrypted into the backup and removed.
- PostgreSQL: ``pg_dump --format=custom`` streams into the encryption (no plaintext on disk), inside
  a repeatable-read snapshot that the row counts of the header are taken from
  (``pg_export_snapshot`` / ``pg_dump --snapshot``); ``pg_restore --clean --single-transaction``
  reads the decrypted stream back.

How it is encrypted: with the deployment key, the current (first) key of ``VIGIL_FIELD_KEYS``. A
per-file key is derived from it with HKDF-SHA256 and a random salt; the dump is sealed in chunks of
1 MiB with AES-256-GCM, each chunk bound to the file's header, its position and whether it is the
last, so a changed, reordered, cut or extended file does not decrypt. The header (engine, key id,
salt, time, row count per table: no data) is readable without the key. Restoring needs the key the
backup names: keep a retired key in ``VIGIL_FIELD_KEYS`` (after the current one) for as long as
backups made under it are kept (docs/backup.md).

A restore checks the decrypted image before touching the database (SQLite: ``integrity_check``
and the row counts of the header), refuses to overwrite a database holding data unless told to,
checks the row counts afterwards, and records a ``restore`` entry in the restored audit log.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"VIGIL-BACKUP/1\n"
CHUNK = 1 << 20
_INFO = b"vigil backup v1"
_CHUNK_HEAD = struct.Struct(">IB")  # sealed length, last-chunk flag


class BackupError(Exception):
    """A backup or restore that cannot be done; the message names the file or the setting."""


@dataclass(frozen=True)
class Header:
    engine: str
    key_id: str
    salt: bytes
    created_at: str
    tables: dict[str, int]

    def to_bytes(self) -> bytes:
        doc = {
            "format": "vigil-backup",
            "version": 1,
            "engine": self.engine,
            "key_id": self.key_id,
            "salt": base64.b64encode(self.salt).decode(),
            "created_at": self.created_at,
            "tables": self.tables,
        }
        return json.dumps(doc, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes, name: str) -> Header:
        try:
            doc = json.loads(raw)
            return cls(doc["engine"], doc["key_id"], base64.b64decode(doc["salt"]), doc["created_at"],
                       {str(k): int(v) for k, v in doc["tables"].items()})
        except (ValueError, KeyError, TypeError, AttributeError):
            raise BackupError(f"{name}: not a Vigil backup (unreadable header)") from None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# --- keys and sealing ------------------------------------------------------------------------


def _deployment_keys() -> list[tuple[str, bytes]]:
    from django.conf import settings

    from vigil.server.crypto import parse_keys

    return parse_keys(settings.VIGIL_FIELD_KEYS)


def _file_key(key: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(key)


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return hashlib.sha256(header).digest() + struct.pack(">QB", index, last)


class _SealedWriter:
    """Writes the magic, the header, then sealed chunks; ``close`` seals the last one."""

    def __init__(self, out: IO[bytes], header: Header, key: bytes) -> None:
        self.out = out
        self.header = header.to_bytes()
        self.aead = AESGCM(_file_key(key, header.salt))
        self.buffer = bytearray()
        self.index = 0
        out.write(MAGIC + struct.pack(">I", len(self.header)) + self.header)

    def _seal(self, data: bytes, last: bool) -> None:
        nonce = os.urandom(12)
        sealed = nonce + self.aead.encrypt(nonce, data, _aad(self.header, self.index, last))
        self.out.write(_CHUNK_HEAD.pack(len(sealed), last) + sealed)
        self.index += 1

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._seal(bytes(self.buffer[:CHUNK]), False)
            del self.buffer[:CHUNK]

    def close(self) -> None:
        self._seal(bytes(self.buffer), True)
        self.buffer.clear()


def read_header(path: Path) -> Header:
    """The header of a backup file (readable without the key)."""
    with _open(path) as fh:
        return _read_header(fh, path.name)[0]


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise BackupError(f"{path}: cannot read the file ({exc.strerror or type(exc).__name__})") from None


def _read_header(fh: IO[bytes], name: str) -> tuple[Header, bytes]:
    if fh.read(len(MAGIC)) != MAGIC:
        raise BackupError(f"{name}: not a Vigil backup")
    size_raw = fh.read(4)
    if len(size_raw) != 4:
        raise BackupError(f"{name}: the backup is truncated")
    (size,) = struct.unpack(">I", size_raw)
    raw = fh.read(size) if size <= 1 << 20 else b""
    if len(raw) != size:
        raise BackupError(f"{name}: not a Vigil backup (unreadable header)")
    return Header.from_bytes(raw, name), raw


def _plaintext(path: Path) -> tuple[Header, Iterator[bytes]]:
    """The header and an iterator over the decrypted chunks (each checked before it is given)."""
    fh = _open(path)
    try:
        header, raw_header = _read_header(fh, path.name)
    except BackupError:
        fh.close()
        raise
    keys = dict(_deployment_keys())
    if header.key_id not in keys:
        fh.close()
        raise BackupError(
            f"{path.name}: made under key {header.key_id!r}, which is not in VIGIL_FIELD_KEYS "
            f"(keys there: {', '.join(keys)}); put that key back (after the current one) to restore"
        )
    aead = AESGCM(_file_key(keys[header.key_id], header.salt))

    def chunks() -> Iterator[bytes]:
        with fh:
            index = 0
            while True:
                head = fh.read(_CHUNK_HEAD.size)
                if len(head) != _CHUNK_HEAD.size:
                    raise BackupError(f"{path.name}: the backup is truncated (chunk {index})")
                size, last = _CHUNK_HEAD.unpack(head)
                sealed = fh.read(size) if size <= CHUNK + 64 else b""
                if len(sealed) != size or size < 28:
                    raise BackupError(f"{path.name}: the backup is truncated or damaged (chunk {index})")
                try:
                    data = aead.decrypt(sealed[:12], sealed[12:], _aad(raw_header, index, bool(last)))
                except InvalidTag:
                    raise BackupError(
                        f"{path.name}: chunk {index} does not decrypt (the file was changed or damaged)"
                    ) from None
                yield data
                index += 1
                if last:
                    if fh.read(1):
                        raise BackupError(f"{path.name}: data after the last chunk (the file was changed)")
                    return

    return header, chunks()


# --- which database --------------------------------------------------------------------------


def _database() -> dict[str, Any]:
    from django.db import connection

    return dict(connection.settings_dict)


def engine_of(db: dict[str, Any]) -> str:
    engine = str(db["ENGINE"])
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine:
        return "postgresql"
    raise BackupError(f"DATABASE_URL: backups handle SQLite and PostgreSQL, not {engine}")


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: int(conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0]) for n in names}


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments of pg_dump/pg_restore; the password goes in the environment, not argv."""
    env = dict(os.environ)
    args = ["--dbname", str(db["NAME"])]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} is not installed (the PostgreSQL client tools are needed)")
    return tool


def _pg_counts(cursor: Any) -> dict[str, int]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    names = [r[0] for r in cursor.fetchall()]
    counts = {}
    for n in names:
        cursor.execute(f'SELECT COUNT(*) FROM "{n}"')
        counts[n] = int(cursor.fetchone()[0])
    return counts


# --- backup ----------------------------------------------------------------------------------


def backup(target: Path, *, actor: str = "cli") -> Header:
    """Write an encrypted backup of the database to ``target`` (all or nothing: a partial file is
    removed); return its header."""
    from vigil.server.audit.log import record

    db = _database()
    engine = engine_of(db)
    key_id, key = _deployment_keys()[0]
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target}: is a directory; name the backup file")
    target.parent.mkdir(parents=True, exist_ok=True)
    record("backup", object_type="system", via=actor, detail={"engine": engine, "key_id": key_id})
    partial = target.with_name(target.name + ".partial")
    try:
        if engine == "sqlite":
            header = _backup_sqlite(Path(db["NAME"]), partial, key_id, key)
        else:
            header = _backup_postgresql(db, partial, key_id, key)
        os.replace(partial, target)
    except OSError as exc:  # a full or read-only disk: one clear error, no file left behind
        reason = exc.strerror or str(exc)
        raise BackupError(f"{target}: cannot write the backup ({reason}); nothing was written") from None
    finally:
        with suppress(FileNotFoundError):
            partial.unlink()
    return header


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _private_temp(directory: Path, suffix: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=".vigil-backup-", suffix=suffix, dir=directory)
    os.close(fd)
    os.chmod(name, 0o600)
    return Path(name)


def _backup_sqlite(source: Path, partial: Path, key_id: str, key: bytes) -> Header:
    if not source.is_file():
        raise BackupError(f"{source}: no SQLite database there (VIGIL_DATA_DIR)")
    image = _private_temp(source.parent, ".sqlite3")
    try:
        src = sqlite3.connect(source)
        dst = sqlite3.connect(image)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            counts = _sqlite_counts(dst)
        finally:
            dst.close()
            src.close()
        header = Header("sqlite", key_id, os.urandom(16), _now(), counts)
        with partial.open("wb") as out, image.open("rb") as fh:
            writer = _SealedWriter(out, header, key)
            while data := fh.read(CHUNK):
                writer.write(data)
            writer.close()
            out.flush()
            os.fsync(out.fileno())
        return header
    finally:
        image.unlink(missing_ok=True)


def _backup_postgresql(db: dict[str, Any], partial: Path, key_id: str, key: bytes) -> Header:
    from django.db import connection, transaction

    tool = _pg_tool("pg_dump")
    args, env = _pg_env(db)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _pg_counts(cursor)
        header = Header("postgresql", key_id, os.urandom(16), _now(), counts)
        cmd = [tool, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", *args]
        with partial.open("wb") as out:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            assert proc.stdout is not None
            writer = _SealedWriter(out, header, key)
            while data := proc.stdout.read(CHUNK):
                writer.write(data)
            stderr = proc.stderr.read() if proc.stderr else b""
            if proc.wait() != 0:
                raise BackupError(f"pg_dump failed: {stderr.decode(errors='replace').strip()[:300]}")
            writer.close()
            out.flush()
            os.fsync(out.fileno())
    return header


# --- restore ---------------------------------------------------------------------------------


def restore(source: Path, *, replace: bool = False, actor: str = "cli") -> Header:
    """Restore the database from an encrypted backup; return its header."""
    from django.db import connection

    source = Path(source)
    db = _database()
    engine = engine_of(db)
    header = read_header(source)
    if header.engine != engine:
        raise BackupError(f"{source.name}: a {header.engine} backup cannot be restored into {engine}")
    header, chunks = _plaintext(source)
    if engine == "sqlite":
        _restore_sqlite(Path(db["NAME"]), source, header, chunks, replace)
    else:
        _restore_postgresql(db, source, header, chunks, replace)
    connection.close()
    _check_counts(header, source.name)
    from vigil.server.audit.log import record

    record("restore", object_type="system", via=actor,
           detail={"engine": engine, "created_at": header.created_at, "rows": header.rows})
    return header


def _check_counts(header: Header, name: str) -> None:
    from django.db import connection

    connection.ensure_connection()
    if header.engine == "sqlite":
        counts = _sqlite_counts(connection.connection)
    else:
        with connection.cursor() as cursor:
            counts = _pg_counts(cursor)
    if counts != header.tables:
        differ = sorted(t for t in set(counts) | set(header.tables) if counts.get(t) != header.tables.get(t))
        raise BackupError(f"{name}: after the restore the row counts differ in {', '.join(differ[:5])}")


def _has_data_sqlite(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path)
    try:
        return any(n for t, n in _sqlite_counts(conn).items() if t != "django_migrations")
    finally:
        conn.close()


def _refuse_overwrite(name: str) -> BackupError:
    return BackupError(f"the database already holds data; restoring {name} replaces it all: add --replace")


def _restore_sqlite(target: Path, source: Path, header: Header, chunks: Iterator[bytes],
                    replace: bool) -> None:
    from django.db import connection

    if _has_data_sqlite(target) and not replace:
        raise _refuse_overwrite(source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    image = _private_temp(target.parent, ".sqlite3")
    try:
        with image.open("wb") as fh:
            for data in chunks:  # every chunk is authenticated before it is written
                fh.write(data)
        img = sqlite3.connect(image)
        try:
            check = img.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"{source.name}: the database image in the backup is damaged")
            if _sqlite_counts(img) != header.tables:
                raise BackupError(f"{source.name}: the row counts of the image differ from its header")
            connection.close()  # the server's connection to the old file
            dst = sqlite3.connect(target)
            try:
                img.backup(dst)  # page by page, in one transaction of the destination
            finally:
                dst.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source.name}: the database image does not open ({exc})") from None
        finally:
            img.close()
    finally:
        image.unlink(missing_ok=True)


def _restore_postgresql(db: dict[str, Any], source: Path, header: Header, chunks: Iterator[bytes],
                        replace: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = _pg_counts(cursor)
    if any(n for t, n in counts.items() if t != "django_migrations") and not replace:
        raise _refuse_overwrite(source.name)
    # authenticate the whole file before pg_restore sees a byte of it
    for _ in _plaintext(source)[1]:
        pass
    connection.close()
    tool = _pg_tool("pg_restore")
    args, env = _pg_env(db)
    cmd = [tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
           "--exit-on-error", *args]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=err, env=env)
        assert proc.stdin is not None
        try:
            for data in chunks:
                proc.stdin.write(data)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        if proc.wait() != 0:
            err.seek(0)
            raise BackupError(f"pg_restore failed: {err.read().decode(errors='replace').strip()[:300]}")

