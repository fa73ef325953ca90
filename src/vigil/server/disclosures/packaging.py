"""AES-256 encrypted zip files (WinZip AE-2, opened by 7-Zip and any WinZip-AES tool).

The password is generated here, returned once to the caller to show to the requester, and never
stored. Files are written under a temporary name in the exports folder and renamed when complete,
so a crash leaves a ``.part`` file (removed by the purge), never a half-written ``.zip``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pyzipper

from vigil.server.disclosures.conf import exports_dir

# No 0/O, 1/I/L: read aloud or typed from a phone without ambiguity. 31 symbols.
PASSWORD_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PASSWORD_GROUPS = 6
PASSWORD_GROUP_LEN = 4
FILE_SUFFIX = ".zip"
PART_SUFFIX = ".part"


def new_password() -> str:
    """``7KQ3-M9XD-...``: 6 groups of 4 symbols, 24 x log2(31) = 118.9 bits of randomness.

    The hyphens are part of the password (type it as shown)."""
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LEN))
        for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


def ensure_dir() -> Path:
    """The exports folder, created readable by the server's user only (0700)."""
    folder = exports_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # mkdir's mode is reduced by the umask; no-op on Windows
        os.chmod(folder, 0o700)
    return folder


def write_encrypted_zip(members: Mapping[str, str | bytes], password: str) -> tuple[str, int]:
    """Write ``members`` (name -> content) into a new AES-256 zip; return (file name, size).

    The file name is random (it says nothing about the content)."""
    folder = ensure_dir()
    name = secrets.token_hex(16) + FILE_SUFFIX
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=PART_SUFFIX)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            with pyzipper.AESZipFile(
                fh, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
            ) as zf:
                zf.setpassword(password.encode("utf-8"))
                zf.setencryption(pyzipper.WZ_AES, nbits=256)
                for member, content in members.items():
                    data = content.encode("utf-8") if isinstance(content, str) else content
                    zf.writestr(member, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return name, (folder / name).stat().st_size


def path_of(file_name: str) -> Path:
    """The path of a stored export file; refuses anything but a bare file name."""
    if not file_name or Path(file_name).name != file_name or file_name.startswith("."):
        raise ValueError("not an export file name")
    return exports_dir() / file_name


def delete_file(file_name: str) -> bool:
    """Remove a stored export file; True if there was one."""
    try:
        path_of(file_name).unlink()
    except FileNotFoundError:
        return False
    return True
