"""Saved work: .chainrule files written atomically, recent files, autosave and recovery.

A .chainrule file is JSON: ``{"format": "chainrule", "schema": 1, "lesson": {...},
"scene": 0, "views": {"explorer": {...}, ...}}`` — the lesson being built, the
scene on screen and each view's own settings (expression and values, lab
settings) as the views report them.  Writes go to a temporary file in the same
folder, are fsync'ed and then ``os.replace``'d over the old file, so a crash or
an error mid-save leaves the previous file as it was.
"""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer

from app.lecture.lessons import (SCHEMA_VERSION, Lesson, LessonError, builtin_lesson, lesson_from_dict,
                                 load_lesson, parse_json, read_text)

FILE_SUFFIX = ".chainrule"
FORMAT_TAG = "chainrule"
ORGANISATION = APPLICATION = "Chainrule"
MAX_RECENT = 8


class DocumentError(LessonError):
    """A .chainrule file that cannot be opened (corrupt, truncated, newer, not ours)."""


@dataclass
class Document:
    """What the user built: a lesson, the scene on screen and each view's settings."""

    lesson: Lesson
    scene: int = 0
    views: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of a .chainrule file."""
        return {"format": FORMAT_TAG, "schema": SCHEMA_VERSION, "lesson": self.lesson.to_dict(),
                "scene": self.scene, "views": self.views}


def document_from_dict(data: Any, source: str = "") -> Document:
    """Validate a decoded .chainrule file and build the Document."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_TAG:
        raise DocumentError("not a Chainrule file (no \"format\": \"chainrule\")", source=source)
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise DocumentError("missing or invalid schema version", source=source, field_name="schema")
    if schema > SCHEMA_VERSION:
        raise DocumentError(f"saved by a newer Chainrule (schema {schema}); this version reads schema "
                            f"{SCHEMA_VERSION}. Update Chainrule to open it.", source=source, field_name="schema")
    try:
        lesson = lesson_from_dict(data.get("lesson"), source)
    except DocumentError:
        raise
    except LessonError as exc:
        raise DocumentError(exc.message, source=source, scene=exc.scene,
                            field_name=f"lesson.{exc.field_name}" if exc.field_name else "lesson") from None
    scene = data.get("scene", 0)
    if not isinstance(scene, int) or isinstance(scene, bool) or not 0 <= scene < len(lesson.scenes):
        raise DocumentError(f"scene must be 0..{len(lesson.scenes) - 1}", source=source, field_name="scene")
    views = data.get("views", {})
    if not isinstance(views, dict) or not all(isinstance(v, dict) for v in views.values()):
        raise DocumentError("views must map a view name to its settings object", source=source,
                            field_name="views")
    return Document(lesson=lesson, scene=scene, views=views)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: temp file in the same folder, fsync, os.replace."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with suppress(OSError):  # make the rename itself durable; not every platform allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def document_text(document: Document) -> str:
    """The exact text of a .chainrule file (NaN and infinity refused: they are not JSON)."""
    return json.dumps(document.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_document(path: str | Path, document: Document) -> None:
    """Write a .chainrule file atomically (the old file survives any failure)."""
    atomic_write_text(path, document_text(document))


def load_document(path: str | Path) -> Document:
    """Read a .chainrule file; a corrupt, truncated or newer file raises DocumentError."""
    source = str(path)
    try:
        data = parse_json(read_text(Path(path)), source)
    except DocumentError:
        raise
    except LessonError as exc:
        raise DocumentError(exc.message, source=source) from None
    return document_from_dict(data, source)


def open_lesson_or_file(ref: str) -> Document:
    """A built-in lesson id, a lesson .json or a saved .chainrule file, as a Document."""
    path = Path(ref)
    if path.suffix == FILE_SUFFIX:
        return load_document(path)
    if path.suffix == ".json" or path.exists():
        return Document(lesson=load_lesson(path))
    return Document(lesson=builtin_lesson(ref))


def settings() -> QSettings:
    """Chainrule's QSettings (organisation and application "Chainrule")."""
    return QSettings(ORGANISATION, APPLICATION)


class RecentFiles:
    """The most recently opened or saved files, newest first, kept in QSettings."""

    KEY = "lecture/recentFiles"

    def __init__(self, store: QSettings | None = None, limit: int = MAX_RECENT):
        self._store = store or settings()
        self._limit = limit

    def paths(self) -> list[str]:
        """The remembered paths that still exist, newest first."""
        value = self._store.value(self.KEY, [])
        paths = [value] if isinstance(value, str) else list(value or [])
        return [p for p in paths if Path(p).exists()]

    def add(self, path: str | Path) -> None:
        """Put ``path`` at the top of the list."""
        path = str(Path(path).resolve())
        self._store.setValue(self.KEY, ([path] + [p for p in self.paths() if p != path])[: self._limit])

    def clear(self) -> None:
        """Forget all recent files."""
        self._store.remove(self.KEY)


def recovery_dir() -> Path:
    """Where autosaves live (the per-user application data folder)."""
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or tempfile.gettempdir()
    return Path(base) / "recovery"


class Autosaver(QObject):
    """Every ``interval_ms``, saves the document to a recovery file if it changed since the last write.

    ``snapshot()`` returns the current Document, or None when there is nothing to keep.
    After a clean save or quit the recovery file is removed, so one that exists at
    start-up means Chainrule did not close cleanly and its content can be offered back.
    """

    def __init__(self, snapshot: Callable[[], Document | None], folder: Path | None = None,
                 interval_ms: int = 60_000, parent: QObject | None = None):
        super().__init__(parent)
        self._snapshot = snapshot
        self.path = (folder or recovery_dir()) / f"autosave{FILE_SUFFIX}"
        self._written: str | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.save_now)
        self._timer.start()

    def save_now(self) -> bool:
        """Write the recovery file if the document changed; True if it wrote."""
        document = self._snapshot()
        if document is None:
            return False
        text = document_text(document)
        if text == self._written:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, text)
        self._written = text
        return True

    def discard(self) -> None:
        """Remove the recovery file (after a real save or a clean quit)."""
        self._written = None
        with suppress(FileNotFoundError):
            self.path.unlink()

    def pending(self) -> Document | None:
        """The document left by a crash, or None (an unreadable leftover is removed)."""
        if not self.path.exists():
            return None
        try:
            return load_document(self.path)
        except DocumentError:
            self.discard()
            return None
