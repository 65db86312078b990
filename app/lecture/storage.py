"""Saved work: .chainrule files written atomically, recent files, autosave and recovery.

A .chainrule file is strict JSON: ``{"format": "chainrule", "schema": 1, "lesson": {...},
"scene": 0, "views": {"explorer": {...}, ...}, "view": "explorer"}`` — the lesson being
built, the scene selected, each view's settings as a scene (the explorer's may add a
``draft``: editor text that is not the program shown) and the view on screen.  An
autosave adds ``"autosave": {"saved_at": "<ISO time>", "file": "<the file it has
unsaved changes to>" or null}``.  NaN and ±inf are the strings "nan", "inf", "-inf"
(see :mod:`app.lecture.lessons`).

What a save guarantees:

* It reopens: the text is read back with the loader ``load_document`` uses (JSON limits,
  schema, every scene and view, names of examples/presets/optimizers, and every
  explorer program built the way the explorer builds it) before any file is touched;
  a document that would not reopen is not written and the old file stays as it was.
* It is atomic: a temporary file beside the target, fsync'ed and ``os.replace``'d over
  it, so a crash leaves the old or the new file, complete.  The file keeps its
  permissions; saving through a symlink writes the file it points to; temporary files
  left by a killed save (``.NAME.XXXXXXXX.tmp``) are removed by the next save there.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QLockFile, QObject, QSettings, QStandardPaths, QTimer, Signal

from app.lecture.lessons import (MAX_FILE_BYTES, SCHEMA_VERSION, VIEWS, Lesson, LessonError, Scene,
                                 builtin_lesson, lesson_from_dict, load_lesson, parse_json, read_text,
                                 scene_from_dict)

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; a temp file is abandoned once it is a minute old
    fcntl = None

FILE_SUFFIX = ".chainrule"
FORMAT_TAG = "chainrule"
ORGANISATION = APPLICATION = "Chainrule"
MAX_RECENT = 8
STALE_TEMP_S = 60.0
"""Where temp files cannot be locked (Windows): how old one must be to count as abandoned."""

log = logging.getLogger(__name__)


class DocumentError(LessonError):
    """A .chainrule file that cannot be opened (corrupt, truncated, newer, not ours) or saved."""


@dataclass(frozen=True)
class AutosaveStamp:
    """When an autosave was written and which file (None: an untitled lesson) it has changes to."""

    saved_at: datetime
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"saved_at": self.saved_at.isoformat(), "file": self.file}


@dataclass
class Document:
    """What the user built: a lesson, the scene selected, each view's settings, the view on screen."""

    lesson: Lesson
    scene: int = 0
    views: dict[str, Scene] = field(default_factory=dict)
    view: str | None = None
    """The kind of the page on screen (one of ``views``), or None."""
    autosave: AutosaveStamp | None = field(default=None, compare=False)
    """Set on a recovery file only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of a .chainrule file."""
        out = {"format": FORMAT_TAG, "schema": SCHEMA_VERSION, "lesson": self.lesson.to_dict(),
               "scene": self.scene, "views": {kind: s.to_dict() for kind, s in self.views.items()}}
        if self.view is not None:
            out["view"] = self.view
        if self.autosave is not None:
            out["autosave"] = self.autosave.to_dict()
        return out


_FIELDS = ("format", "schema", "lesson", "scene", "views", "view", "autosave")


def _relocated(exc: LessonError, source: str, scene: int | None, prefix: str) -> DocumentError:
    """A scene's or view's error as the file's: field ``lesson.step`` or ``views.explorer.step``."""
    name = f"{prefix}.{exc.field_name}" if exc.field_name else prefix
    return DocumentError(exc.message, source=source, scene=scene, field_name=name)


def document_from_dict(data: Any, source: str = "") -> Document:
    """Validate a decoded .chainrule file (lesson, views, view, autosave stamp) and build the Document."""
    if not isinstance(data, dict) or data.get("format") != FORMAT_TAG:
        raise DocumentError("not a Chainrule file (no \"format\": \"chainrule\")", source=source)
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise DocumentError("missing or invalid schema version", source=source, field_name="schema")
    if schema > SCHEMA_VERSION:
        raise DocumentError(f"saved by a newer Chainrule (schema {schema}); this version reads schema "
                            f"{SCHEMA_VERSION}. Update Chainrule to open it.", source=source, field_name="schema")
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise DocumentError(f"not a field of a Chainrule file (allowed: {', '.join(_FIELDS)})", source=source,
                            field_name=unknown[0])
    try:
        lesson = lesson_from_dict(data.get("lesson"), source)
    except LessonError as exc:
        raise _relocated(exc, source, exc.scene, "lesson") from None
    scene = data.get("scene", 0)
    if not isinstance(scene, int) or isinstance(scene, bool) or not 0 <= scene < len(lesson.scenes):
        raise DocumentError(f"scene must be 0..{len(lesson.scenes) - 1}", source=source, field_name="scene")
    raw_views = data.get("views", {})
    if not isinstance(raw_views, dict):
        raise DocumentError("views must map a view name to its settings object", source=source,
                            field_name="views")
    views = {}
    for kind, state in raw_views.items():
        if kind not in VIEWS:
            raise DocumentError(f"no view {kind!r}; use one of {', '.join(VIEWS)}", source=source,
                                field_name=f"views.{kind}")
        try:
            views[kind] = scene_from_dict(state, None, source, view_state=True)
        except LessonError as exc:
            raise _relocated(exc, source, None, f"views.{kind}") from None
        if views[kind].view != kind:
            raise DocumentError(f"the {kind} view's settings say \"view\": {views[kind].view!r}", source=source,
                                field_name=f"views.{kind}.view")
    view = data.get("view")
    if view is not None and view not in views:
        raise DocumentError(f"the view on screen must be one of the saved views ({', '.join(views) or 'none'})",
                            source=source, field_name="view")
    return Document(lesson=lesson, scene=scene, views=views, view=view,
                    autosave=_stamp_from_dict(data["autosave"], source) if "autosave" in data else None)


def _stamp_from_dict(data: Any, source: str) -> AutosaveStamp:
    where = {"source": source, "field_name": "autosave"}
    if not isinstance(data, dict) or set(data) != {"saved_at", "file"}:
        raise DocumentError("expected {\"saved_at\": time, \"file\": path or null}", **where)
    if not isinstance(data["file"], (str, type(None))):
        raise DocumentError("the file must be a path or null", **where)
    try:
        saved_at = datetime.fromisoformat(data["saved_at"])
    except (TypeError, ValueError):
        raise DocumentError(f"saved_at must be an ISO 8601 time, got {str(data['saved_at'])[:40]!r}",
                            **where) from None
    if saved_at.tzinfo is None:
        raise DocumentError("saved_at needs a time zone (e.g. +00:00)", **where)
    return AutosaveStamp(saved_at, data["file"])


def check_document(document: Document, source: str = "") -> None:
    """What the views would refuse, found before any window changes: unknown example, preset, surface
    or optimizer names and explorer programs the engine cannot build (DocumentError naming the place)."""
    from app.lecture.scenes import check_scene
    places = [(scene, i, "lesson") for i, scene in enumerate(document.lesson.scenes)]
    places += [(scene, None, f"views.{kind}") for kind, scene in document.views.items()]
    for scene, index, prefix in places:
        try:
            check_scene(scene)
        except LessonError as exc:
            raise _relocated(exc, source, index, prefix) from None


def document_from_text(text: str, source: str) -> Document:
    """The loader: strict JSON within the limits, the document's schema, then :func:`check_document`."""
    try:
        data = parse_json(text, source)
    except LessonError as exc:
        raise DocumentError(exc.message, source=source, scene=exc.scene, field_name=exc.field_name) from None
    document = document_from_dict(data, source)
    check_document(document, source)
    return document


def document_text(document: Document) -> str:
    """The exact text of a .chainrule file (strict JSON: a raw NaN left anywhere raises ValueError)."""
    return json.dumps(document.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# -- writing files ---------------------------------------------------------------------------------
def _temp_pattern(path: Path) -> re.Pattern:
    """Names of the temp files a save of ``path`` makes (and older versions made with mkstemp)."""
    return re.compile(rf"\.{re.escape(path.name)}\.[A-Za-z0-9_]{{8}}\.tmp")


def _new_temp(path: Path) -> tuple[int, str]:
    """A new temp file beside ``path``, created with the umask's permissions and locked while written."""
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        return fd, tmp


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Delete the temp files killed saves of ``path`` left beside it (never one a save is writing now:
    that one is locked); returns what was removed."""
    path = Path(path)
    pattern = _temp_pattern(path)
    removed = []
    try:
        entries = [e for e in os.scandir(path.parent) if pattern.fullmatch(e.name)]
    except OSError:
        return removed
    for entry in entries:
        with suppress(OSError):
            if not entry.is_file(follow_symlinks=False):
                continue
            if fcntl is None:
                if time.time() - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_S:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError (an OSError): in use
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            finally:
                os.close(fd)
    return removed


def atomic_write_text(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: temp file in the same folder, fsync, os.replace.

    The file keeps its permission bits (a new one gets the umask's); a symlink is followed,
    so the file it points to is replaced and the link stays; anything but a regular file is
    refused.  Leftover temps of killed saves of the same file are removed afterwards.
    """
    path = Path(os.path.realpath(path))
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    if old is not None and not stat.S_ISREG(old.st_mode):
        raise OSError(f"{path} is not a regular file; Chainrule saves only over files")
    data = text.encode("utf-8")
    fd, tmp = _new_temp(path)
    try:
        if old is not None:
            os.chmod(tmp, stat.S_IMODE(old.st_mode))
            with suppress(OSError, AttributeError):  # keep the group where allowed (POSIX only)
                os.chown(tmp, -1, old.st_gid)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        if fcntl is None:  # Windows renames no open file (and nothing is locked there)
            os.close(fd)
            fd = -1
        os.replace(tmp, path)  # while still locked, so no cleaner takes it for abandoned
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        if fd >= 0:
            os.close(fd)
    with suppress(OSError):  # make the rename itself durable; not every platform allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    remove_stale_temps(path)


def save_document(path: str | Path, document: Document) -> None:
    """Write a .chainrule file atomically, after checking that it reopens (DocumentError if it
    would not: then nothing is written and the old file survives, as it does any failure)."""
    source = str(path)
    try:
        text = document_text(document)
    except (TypeError, ValueError) as exc:
        raise DocumentError(f"not saved, the document holds something a file cannot ({exc})",
                            source=source) from None
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise DocumentError(f"not saved: {size / 2**20:.0f} MB is more than Chainrule opens "
                            f"({MAX_FILE_BYTES // 2**20} MB)", source=source)
    try:
        document_from_text(text, source)
    except LessonError as exc:
        raise DocumentError(f"not saved, it would not open again: {exc.message}", source=source,
                            scene=exc.scene, field_name=exc.field_name) from None
    atomic_write_text(path, text)


def load_document(path: str | Path) -> Document:
    """Read a .chainrule file; anything it would not show raises DocumentError naming file, scene, field."""
    source = str(path)
    try:
        text = read_text(Path(path))
    except LessonError as exc:
        raise DocumentError(exc.message, source=source) from None
    return document_from_text(text, source)


def open_lesson_or_file(ref: str) -> Document:
    """A built-in lesson id, a lesson .json or a saved .chainrule file, as a checked Document."""
    path = Path(ref)
    if path.suffix == FILE_SUFFIX:
        return load_document(path)
    document = Document(lesson=load_lesson(path) if path.suffix == ".json" or os.path.lexists(path)
                        else builtin_lesson(ref))
    check_document(document, ref)
    return document


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


# -- recovery --------------------------------------------------------------------------------------
def _data_home() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.GenericDataLocation) or tempfile.gettempdir())


def recovery_dir() -> Path:
    """Where autosaves live: the per-user data folder under Chainrule's fixed name
    (``~/.local/share/Chainrule/recovery`` on Linux), whichever way Chainrule was started."""
    return _data_home() / APPLICATION / "recovery"


def legacy_recovery_dirs() -> list[Path]:
    """Where earlier versions put autosaves: a folder named after the launcher (``chainrule`` or
    ``__main__.py``, Qt's application name from argv[0])."""
    base = Path(os.environ["APPDATA"]) if sys.platform == "win32" and "APPDATA" in os.environ else _data_home()
    return [base / name / "recovery" for name in ("chainrule", "__main__.py")]


_OWNED = re.compile(rf"autosave\.(\d+-\d+){re.escape(FILE_SUFFIX)}")
"""A running (or crashed) instance's autosave: ``autosave.<pid>-<n>.chainrule``, beside its lock
``autosave.<pid>-<n>.lock``.  The legacy ``autosave.chainrule`` (earlier versions) has no owner."""
_LOCK = re.compile(r"autosave\.(\d+-\d+)\.lock")
LEGACY_NAME = f"autosave{FILE_SUFFIX}"
_INSTANCES = itertools.count()
"""The ``n`` of ``autosave.<pid>-<n>``: each Autosaver of a process has its own."""


def _lock(folder: Path, tag: str) -> QLockFile:
    lock = QLockFile(str(folder / f"autosave.{tag}.lock"))
    lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
    return lock


class Autosaver(QObject):
    """Every ``interval_ms``, keeps a recovery copy of unsaved work; offers it back after a crash.

    ``snapshot()`` returns the current Document (None: nothing to keep), ``unsaved()`` whether
    it differs from what was last saved or opened, ``document_file()`` the file it belongs to.
    Only unsaved work is written, stamped with the time and that file, and checked like any
    save; a real save or a clean quit removes it.  So a recovery file found at start-up
    means Chainrule did not close cleanly with changes unsaved.  An autosave never raises:
    a failure is announced by ``failed`` (for the status bar) and the timer keeps going.

    Each instance (two windows open at once, in one process or two) writes a file of its own,
    ``autosave.<pid>-<n>.chainrule``, and holds a lock beside it as long as it lives
    (:class:`QLockFile`: the lock of a process that is gone is stale).  So :meth:`pending`
    offers only an autosave whose owner no longer runs, never a running window's.
    """

    failed = Signal(str)

    def __init__(self, snapshot: Callable[[], Document | None], folder: Path | None = None,
                 interval_ms: int = 60_000, parent: QObject | None = None, *,
                 unsaved: Callable[[], bool] = lambda: True,
                 document_file: Callable[[], Path | None] = lambda: None):
        super().__init__(parent)
        self._snapshot = snapshot
        self._unsaved = unsaved
        self._document_file = document_file
        self._legacy = legacy_recovery_dirs() if folder is None else []
        self.folder = folder or recovery_dir()
        self._own_lock: QLockFile | None = None
        self._name()
        self.notice = ""
        """What :meth:`pending` did with a recovery file it did not offer (moved aside, and where)."""
        self.unreadable = False
        """Whether that file was set aside because it could not be read (worth a dialog, not just a note)."""
        self.offered: Path | None = None
        """The recovery file :meth:`pending` found (an instance's that is gone), until adopted or set aside."""
        self._offered_lock: QLockFile | None = None
        self._written: dict[str, Any] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.save_now)
        self._timer.start()

    def _name(self) -> None:
        """Pick ``self.path``: a name no other instance, running or crashed, has used."""
        while True:
            tag = f"{os.getpid()}-{next(_INSTANCES)}"
            self.path = self.folder / f"autosave.{tag}{FILE_SUFFIX}"
            self._tag = tag
            if not (os.path.lexists(self.path) or os.path.lexists(self.folder / f"autosave.{tag}.lock")):
                return  # (one that exists is a crashed process's with this pid: for pending() to offer)

    def _claim(self) -> None:
        """Hold this instance's lock before its first autosave (the lock says: not a crash's leftover)."""
        while self._own_lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = _lock(self.folder, self._tag)
            if lock.tryLock(0) and not os.path.lexists(self.path):
                self._own_lock = lock
            elif lock.error() in (QLockFile.LockFailedError, QLockFile.NoError):
                lock.unlock()
                self._name()  # taken meanwhile: the next name
            else:
                raise OSError(f"cannot lock {self.folder} for the autosave ({lock.error().name})")

    def release(self) -> None:
        """Stop being a running instance (the recovery file, if any, stays: what a crash leaves)."""
        self._timer.stop()
        if self._own_lock is not None:
            self._own_lock.unlock()
            self._own_lock = None

    def save_now(self) -> bool:
        """Write the recovery file if there is unsaved work it does not hold yet; True if it wrote."""
        try:
            return self._save()
        except Exception as exc:  # noqa: BLE001 — an autosave must never take the app down
            if not isinstance(exc, (OSError, LessonError)):
                log.exception("autosave failed")
            self.failed.emit(f"Autosave failed, the last recovery copy is kept: {exc}")
            return False

    def _save(self) -> bool:
        if not self._unsaved():
            if self._written is not None:  # back to the saved state: our copy would offer stale work
                self.discard()
            return False
        document = self._snapshot()
        if document is None:
            return False
        content = document.to_dict()  # (encoded: a NaN equals the NaN written before)
        if content == self._written:
            return False
        file = self._document_file()
        stamp = AutosaveStamp(datetime.now(timezone.utc).astimezone(), str(file) if file else None)
        self._claim()
        save_document(self.path, replace(document, autosave=stamp))
        self._written = content
        return True

    def discard(self) -> None:
        """Remove this instance's recovery file (after a real save or a clean quit)."""
        self._written = None
        with suppress(FileNotFoundError):
            self.path.unlink()

    def _orphans(self) -> list[tuple[Path, QLockFile | None]]:
        """Recovery files of instances no longer running (their locks taken), newest first.  What such
        an instance left besides (temps of a killed write, a lock without a file) is removed."""
        try:
            names = [p.name for p in self.folder.iterdir()]
        except OSError:
            return []
        tags = {m.group(1) for pattern in (_OWNED, _LOCK) for m in map(pattern.fullmatch, names) if m}
        found = []
        for tag in sorted(tags - {self._tag}):
            lock = _lock(self.folder, tag)
            if not lock.tryLock(0):
                continue  # its instance runs
            path = self.folder / f"autosave.{tag}{FILE_SUFFIX}"
            remove_stale_temps(path)
            if os.path.lexists(path):
                found.append((os.lstat(path).st_mtime, path, lock))
            else:
                lock.unlock()
        if LEGACY_NAME in names:
            found.append((os.lstat(self.folder / LEGACY_NAME).st_mtime, self.folder / LEGACY_NAME, None))
        return [(path, lock) for _, path, lock in sorted(found, key=lambda item: -item[0])]

    def pending(self) -> Document | None:
        """Unsaved work an instance that is gone left, to offer back (the newest), or None.

        A recovery file that does not load is moved aside as ``autosave-<time>.broken.chainrule``,
        one older than the last save of its file as ``autosave-<time>.chainrule``: kept, never
        deleted, and :attr:`notice` says where.  Older ones left by other crashed instances stay
        for the next start.
        """
        self.notice, self.unreadable = "", False
        self._adopt_legacy()
        orphans = self._orphans()
        for _, lock in orphans[1:]:
            if lock is not None:
                lock.unlock()
        if not orphans:
            return None
        self.offered, self._offered_lock = orphans[0]
        try:
            document = load_document(self.offered)
        except LessonError as exc:
            self.notice = f"The autosave could not be read ({exc}). It was kept as {self.set_aside(broken=True)}."
            self.unreadable = True
            return None
        stamp = document.autosave
        if stamp is not None and stamp.file is not None and _modified_after(Path(stamp.file), stamp.saved_at):
            self.notice = (f"An autosave older than the last save of {stamp.file} was kept as "
                           f"{self.set_aside()}.")
            return None
        return document

    def saved_at(self, document: Document) -> datetime:
        """When a pending document was autosaved (the file's time for one written by an older version)."""
        if document.autosave is not None:
            return document.autosave.saved_at.astimezone()
        return datetime.fromtimestamp(os.stat(self.offered).st_mtime).astimezone()

    def adopt(self) -> None:
        """The offered work was recovered: its file becomes this instance's recovery file until saved."""
        if self.offered is not None:
            self._claim()
            os.replace(self.offered, self.path)
        self._forget_offered()

    def set_aside(self, broken: bool = False) -> Path:
        """Move the offered recovery file to a name of its own in the same folder, kept for later; returns it."""
        if self.offered is None:
            raise OSError("no recovery file was offered")
        stamp = datetime.fromtimestamp(os.lstat(self.offered).st_mtime).strftime("%Y%m%d-%H%M%S")
        tail = f".broken{FILE_SUFFIX}" if broken else FILE_SUFFIX
        for n in range(1, 1000):
            target = self.folder / f"autosave-{stamp}{f'-{n}' if n > 1 else ''}{tail}"
            if not os.path.lexists(target):
                os.rename(self.offered, target)
                self._forget_offered()
                return target
        raise OSError(f"no free name for a copy of {self.offered}")

    def _forget_offered(self) -> None:
        if self._offered_lock is not None:
            self._offered_lock.unlock()
        self.offered, self._offered_lock = None, None

    def _adopt_legacy(self) -> None:
        """Bring an autosave from an earlier version's folder here (moved, not copied)."""
        target = self.folder / LEGACY_NAME
        if os.path.lexists(target):
            return
        for folder in self._legacy:
            old = folder / LEGACY_NAME
            if old.is_file():
                with suppress(OSError):
                    self.folder.mkdir(parents=True, exist_ok=True)
                    shutil.move(old, target)
                    return


def _modified_after(path: Path, moment: datetime) -> bool:
    try:
        return os.stat(path).st_mtime > moment.timestamp()
    except OSError:
        return False
