"""Writing a bundle as a folder or a reproducible ``.tar.gz``, and reading one back safely.

The archive is byte-identical for the same files: members sorted by name, every time stamp,
owner and mode fixed, gzip without a name or time. Reading refuses what an archive could use
to escape or exhaust: links, devices, absolute paths, ``..``, duplicate names, oversized files.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from api.errors import ConfigurationError, InputFileError
from ledger.durable_files import PUBLIC_FILE, fsync_directory, write_atomically

__all__ = ["MAX_BUNDLE_BYTES", "read_bundle", "tar_gz", "write_folder"]

MAX_BUNDLE_BYTES = 256 * 1024 * 1024
"""The most a bundle read for verification may hold, all files together."""

_PUBLIC_FOLDER = 0o755
_FIXED_TIME = 0


def write_folder(out: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` under a new or empty folder ``out``: all of them or none.

    ConfigurationError when ``out`` exists and is not an empty folder.
    """
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ConfigurationError(f"--out {out} exists and is not a folder: choose a new folder")
    if out.is_dir() and any(out.iterdir()):
        raise ConfigurationError(f"--out {out} is not empty: choose a new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True, mode=_PUBLIC_FOLDER)
            write_atomically(path, data, mode=PUBLIC_FILE)
        for folder in sorted({p.parent for p in staging.rglob("*")}, reverse=True):
            os.chmod(folder, _PUBLIC_FOLDER)
        os.rename(staging, out)  # replaces an empty folder; a filled one fails, left intact
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_directory(out.parent)


def tar_gz(files: Mapping[str, bytes], top: str) -> bytes:
    """The files as a gzipped tar under the folder ``top``, byte-identical for the same input."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for folder in sorted(_folders(files)):
            archive.addfile(_info(f"{top}/{folder}", tarfile.DIRTYPE, 0, _PUBLIC_FOLDER))
        for name in sorted(files):
            data = files[name]
            archive.addfile(
                _info(f"{top}/{name}", tarfile.REGTYPE, len(data), 0o644), io.BytesIO(data)
            )
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=_FIXED_TIME) as gz:
        gz.write(raw.getvalue())
    return compressed.getvalue()


def read_bundle(path: Path) -> dict[str, bytes]:
    """Every file of the bundle at ``path`` (a folder or a ``.tar.gz``), by relative path.

    InputFileError, saying what is wrong, for a path that is neither, an unsafe archive member,
    or a bundle larger than ``MAX_BUNDLE_BYTES``.
    """
    if path.is_dir():
        return _read_folder(path)
    if path.is_file():
        return _read_archive(path)
    raise InputFileError(f"{path}: no such bundle folder or .tar.gz file")


def _read_folder(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise InputFileError(f"{relative}: a symbolic link in a bundle; bundles hold files")
        if path.is_dir():
            continue
        total += path.stat().st_size
        if total > MAX_BUNDLE_BYTES:
            raise InputFileError(f"{root}: larger than {MAX_BUNDLE_BYTES} bytes; not a bundle")
        files[relative] = path.read_bytes()
    return files


def _read_archive(path: Path) -> dict[str, bytes]:
    try:
        with tarfile.open(path, mode="r:*") as archive:
            return _members(archive, path)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputFileError(f"{path}: not a readable .tar.gz bundle ({exc})") from None


def _members(archive: tarfile.TarFile, path: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    top: str | None = None
    for member in archive:
        parts = PurePosixPath(member.name).parts
        if member.name.startswith("/") or ".." in parts or not parts:
            raise InputFileError(f"{path}: member {member.name!r} leaves the bundle's folder")
        if member.isdir():
            continue
        if not member.isfile():
            raise InputFileError(f"{path}: member {member.name!r} is not a regular file")
        top = top or parts[0]
        if parts[0] != top or len(parts) < 2:
            raise InputFileError(f"{path}: every member must sit under one folder ({top}/)")
        total += member.size
        if total > MAX_BUNDLE_BYTES:
            raise InputFileError(f"{path}: larger than {MAX_BUNDLE_BYTES} bytes; not a bundle")
        relative = "/".join(parts[1:])
        if relative in files:
            raise InputFileError(f"{path}: member {member.name!r} appears twice")
        extracted = archive.extractfile(member)
        assert extracted is not None
        files[relative] = extracted.read()
    return files


def _folders(files: Mapping[str, bytes]) -> set[str]:
    folders = set()
    for name in files:
        parent = PurePosixPath(name).parent
        while str(parent) != ".":
            folders.add(str(parent))
            parent = parent.parent
    return folders


def _info(name: str, kind: bytes, size: int, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.mode, info.mtime = kind, size, mode, _FIXED_TIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
