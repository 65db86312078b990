"""Whether a file can be written where the user asked, found out before any rendering starts.

``--screenshot`` and ``export --out`` call :func:`unwritable` first, so a directory, a missing
folder, a read-only place or no permission is one line and exit 2 instead of an OSError
traceback after the work was done.
"""
from __future__ import annotations

import os
from pathlib import Path


def unwritable(path: str | os.PathLike) -> str | None:
    """Why ``path`` cannot be written (one line, naming the path), or None if it can.

    The check opens the file for appending, as the real write will, so every reason the
    operating system has (permissions, read-only file systems, ...) is caught; a file
    created only for the check is removed again.
    """
    path = Path(path)
    if path.is_dir():
        return f"cannot write {path}: it is a folder"
    parent = path.parent
    if not parent.exists():
        return f"cannot write {path}: the folder {parent} does not exist"
    if not parent.is_dir():
        return f"cannot write {path}: {parent} is not a folder"
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    if not existed:
        try:
            path.unlink()
        except OSError:
            pass
    return None
