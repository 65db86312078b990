"""Lecture mode in the main window: File > Open/Save/Recent/Export, Lessons, View > Presenter mode.

``install_lecture_mode(main_window)`` adds the menus, the scene panel (a dock),
recent files, autosave with crash recovery and presenter mode to a window of
pages (graph explorer, optimizer lab, sequence lab: an :class:`app.pages.PageHost`).
Every action has a keyboard shortcut; settings live in QSettings("Chainrule", "Chainrule").
"""
from __future__ import annotations

import json
import logging
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QMainWindow, QMenu, QMessageBox, QWidget)

from app.lecture.browser import LessonBrowser, ScenePanel
from app.lecture.export import AnimationJob, ExportError, export_still
from app.lecture.lessons import Lesson, LessonError, Scene
from app.lecture.presenter import PresenterWindow
from app.lecture.scenes import ADAPTERS, ViewAdapter, adapter_for
from app.lecture.storage import (FILE_SUFFIX, Autosaver, Document, RecentFiles, load_document,
                                 open_lesson_or_file, save_document, settings)
from app.lecture.undo import SceneList
from app.output_path import unwritable

FILE_FILTER = f"Chainrule files (*{FILE_SUFFIX});;Lessons (*.json);;All files (*)"
UNTITLED = "Untitled lesson"
NAVIGATION = ("step", "mode", "wrt", "title")
"""A view's fields that say where the lecturer is looking, not what they made: changing only
these is not an unsaved change (no recovery dialog after a crash for having stepped through)."""

log = logging.getLogger(__name__)


def install_lecture_mode(main_window: QMainWindow, store: QSettings | None = None,
                         recovery_folder: Path | None = None) -> "LectureMode":
    """Add lecture mode's menus, dock and shortcuts to ``main_window``; returns the controller."""
    mode = LectureMode(main_window, store, recovery_folder)
    main_window.lecture_mode = mode
    return mode


def _menu(bar, title: str, before: str | None = None) -> QMenu:
    """The menu bar's menu with this title (e.g. "&File"), or a new one placed before menu ``before``."""
    def find(name: str) -> QAction | None:
        return next((a for a in bar.actions()
                     if a.menu() is not None and a.text().replace("&", "") == name.replace("&", "")), None)
    existing = find(title)
    if existing is not None:
        return existing.menu()
    menu = QMenu(title, bar)
    anchor = find(before) if before else None
    if anchor is not None:
        bar.insertMenu(anchor, menu)
    else:
        bar.addMenu(menu)
    return menu


class LectureMode(QObject):
    """The lesson being built, the file it lives in, and every lecture action of the window."""

    def __init__(self, window: QMainWindow, store: QSettings | None = None, recovery_folder: Path | None = None):
        super().__init__(window)
        self.window = window
        self.store = store or settings()
        self.recent = RecentFiles(self.store)
        self.scenes = SceneList(Lesson(id="my-lesson", title=UNTITLED, scenes=[]), self)
        self.path: Path | None = None
        self.presenter: PresenterWindow | None = None
        self.job: AnimationJob | None = None
        self.panel = ScenePanel(self.scenes)
        self.panel.scene_activated.connect(self.show_scene)
        self.panel.add_requested.connect(self.add_current_view)
        self.dock = QDockWidget("Scenes", window)
        self.dock.setObjectName("lectureScenes")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.RightDockWidgetArea, self.dock)
        self.dock.hide()
        self.scenes.changed.connect(self._update_title)
        self.scenes.stack.cleanChanged.connect(self._update_title)  # a method: never called once we are gone
        self._build_menus()
        self._clean_views: dict[str, str] = {}
        """Each page's content (see NAVIGATION) as last saved or opened, to tell unsaved changes."""
        self.autosaver = Autosaver(self.snapshot, recovery_folder, parent=self, unsaved=self.has_unsaved_changes,
                                   document_file=lambda: self.path)
        self.autosaver.failed.connect(lambda message: self._status(message))
        window.page_made.connect(self._adopt_new_pages)  # a lab made on first view starts out as "saved"
        window.installEventFilter(self)
        self._update_title()
        self._mark_clean()
        self._offer_recovery()

    # -- menus -------------------------------------------------------------------------------
    def _action(self, menu: QMenu, text: str, shortcut: str | QKeySequence.StandardKey | None, slot,
                tip: str = "") -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        file_menu = _menu(bar, "&File")
        first = file_menu.actions()[0] if file_menu.actions() else None
        lecture = QMenu(self.window)
        self.open_action = self._action(lecture, "&Open…", QKeySequence.Open, self.open_dialog,
                                        "Open a .chainrule file or a lesson .json")
        self.recent_menu = lecture.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.save_action = self._action(lecture, "&Save", QKeySequence.Save, self.save)
        self.save_as_action = self._action(lecture, "Save &As…", "Ctrl+Shift+S", self.save_as)
        lecture.addSeparator()
        export = lecture.addMenu("&Export")
        self._action(export, "View as &PNG…", "Ctrl+E", lambda: self.export_dialog(".png", 1.0))
        self._action(export, "View as PNG, 2× for &slides…", "Ctrl+Shift+E", lambda: self.export_dialog(".png", 2.0))
        self._action(export, "View as S&VG…", "Ctrl+Alt+E", lambda: self.export_dialog(".svg", 1.0))
        self._action(export, "Animation as &GIF…", "Ctrl+Alt+G", lambda: self.export_dialog(".gif", 1.0))
        self._action(export, "Animation as &MP4…", "Ctrl+Alt+M", lambda: self.export_dialog(".mp4", 1.0))
        for action in lecture.actions():
            file_menu.insertAction(first, action)
        if first is not None:
            file_menu.insertSeparator(first)

        edit = _menu(bar, "&Edit", before="&Examples")
        undo = self.scenes.stack.createUndoAction(self.window, "&Undo scene edit")
        undo.setShortcut(QKeySequence.Undo)
        redo = self.scenes.stack.createRedoAction(self.window, "&Redo scene edit")
        redo.setShortcut(QKeySequence.Redo)
        edit.addActions([undo, redo])

        lessons = _menu(bar, "&Lessons", before="&View")
        self._action(lessons, "&Browse lessons…", "Ctrl+L", self.browse)
        toggle = self.dock.toggleViewAction()
        toggle.setText("&Scene list")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+L"))
        lessons.addAction(toggle)
        lessons.addSeparator()
        self._action(lessons, "&Add current view as scene", "Ctrl+Shift+A", self.add_current_view)
        self._action(lessons, "&Remove scene", "Ctrl+Shift+Backspace", lambda: self._edit("remove"))
        self._action(lessons, "Move scene &up", "Alt+Up", lambda: self._edit("up"))
        self._action(lessons, "Move scene &down", "Alt+Down", lambda: self._edit("down"))
        lessons.addSeparator()
        self._action(lessons, "&Previous scene", "Ctrl+PgUp", lambda: self._step_scene(-1))
        self._action(lessons, "&Next scene", "Ctrl+PgDown", lambda: self._step_scene(1))

        view = _menu(bar, "&View")
        view.addSeparator()
        self._action(view, "&Presenter mode", "F5", lambda: self.present(0))
        self._action(view, "Presenter mode from this &scene", "Shift+F5",
                     lambda: self.present(max(0, self.panel.current())))
        self.screen_menu = view.addMenu("Presenter &screen")
        self.screen_menu.aboutToShow.connect(self._fill_screens)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for i, path in enumerate(self.recent.paths()):
            action = self.recent_menu.addAction(f"&{i + 1} {Path(path).name}")
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open(p))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear recent files", self.recent.clear)

    def _fill_screens(self) -> None:
        self.screen_menu.clear()
        group = QActionGroup(self.screen_menu)
        chosen = self.store.value("lecture/presenterScreen", "")
        for screen in QGuiApplication.screens():
            action = self.screen_menu.addAction(f"{screen.name()} ({screen.size().width()}×{screen.size().height()})")
            action.setCheckable(True)
            action.setChecked(screen.name() == chosen)
            group.addAction(action)
            action.triggered.connect(lambda _=False, n=screen.name(): self.store.setValue("lecture/presenterScreen", n))

    # -- the lesson ------------------------------------------------------------------------------
    def snapshot(self) -> Document | None:
        """What would be saved now: the lesson (or just the view on screen), the scene, every page's
        settings and which page is on screen; None while there is nothing to save."""
        views = self._view_states()
        current = self.current_adapter()
        lesson = self.scenes.lesson
        if not lesson.scenes:
            if current is None or current.is_empty():
                return None
            lesson = Lesson(id=lesson.id, title=lesson.title, scenes=[current.capture()])
        view = current.kind if current is not None and current.kind in views else None
        return Document(lesson=lesson, scene=max(0, self.panel.current()), views=views, view=view)

    def _view_states(self) -> dict[str, Scene]:
        """Every page that shows something, as a saved session keeps it."""
        adapters = (adapter_for(kind, page) for kind, page in self._pages().items())
        return {a.kind: a.capture_view_state() for a in adapters if not a.is_empty()}

    def _view_contents(self) -> dict[str, str]:
        """Each page's content without where it is looking (NAVIGATION), comparable as text."""
        return {kind: json.dumps({k: v for k, v in scene.to_dict().items() if k not in NAVIGATION}, sort_keys=True)
                for kind, scene in self._view_states().items()}

    def _mark_clean(self) -> None:
        """What the pages show now is what was saved or opened."""
        self._clean_views = self._view_contents()

    def _adopt_new_pages(self) -> None:
        """A lab created since (its tab shown for the first time) counts as saved as it starts."""
        for kind, content in self._view_contents().items():
            self._clean_views.setdefault(kind, content)

    def has_unsaved_changes(self) -> bool:
        """True if the lesson was edited, or a page's content differs from what was last saved or opened."""
        return not self.scenes.stack.isClean() or self._view_contents() != self._clean_views

    def _pages(self) -> dict[str, QWidget]:
        """The window's pages that exist already, by kind (lazily created labs are not forced)."""
        return {kind: page for kind, page in self.window.pages().items() if kind in ADAPTERS}

    def current_adapter(self) -> ViewAdapter | None:
        """The adapter of the page on screen, or None if it is not a lecture view."""
        kind = self.window.current_kind()
        return adapter_for(kind, self.window.page(kind)) if kind in ADAPTERS else None

    def set_document(self, document: Document, path: Path | None) -> None:
        """Make a checked ``document`` (see ``storage.check_document``) the lesson being built.

        A saved session's pages get back the settings they were saved with and the page that was
        on screen comes to front; a lesson without them shows its scene.
        """
        self.path = path
        self.scenes.replace_lesson(document.lesson)
        self.dock.show()
        self.panel.select(document.scene, emit=False)
        if document.views:
            for scene in document.views.values():
                self._apply(scene)
            if document.view is not None:
                self.window.page(document.view)
        else:
            self.show_scene(document.scene)
        self._update_title()
        self._mark_clean()

    def show_scene(self, index: int) -> None:
        """Show scene ``index`` of the lesson in the window's own pages."""
        if 0 <= index < len(self.scenes.scenes):
            self._apply(self.scenes.scenes[index])

    def _apply(self, scene) -> None:
        try:
            page = self.window.page(scene.view)
            if page is None:
                raise LessonError(f"this window has no {scene.view} page")
            adapter = adapter_for(scene.view, page)
            adapter.load(scene)
            adapter.set_step(adapter.step_count() - 1 if scene.step < 0 else scene.step)
        except LessonError as exc:
            QMessageBox.warning(self.window, "Cannot show this scene", str(exc))

    def add_current_view(self) -> None:
        """Append the page on screen, as it is now, to the lesson (undoable)."""
        adapter = self.current_adapter()
        if adapter is None or adapter.is_empty():
            return
        index = self.panel.current() + 1 if self.scenes.scenes else 0
        self.scenes.insert(index, adapter.capture())
        self.dock.show()
        self.panel.select(index, emit=False)

    def _edit(self, what: str) -> None:
        row = self.panel.current()
        if row < 0:
            return
        if what == "remove":
            self.scenes.remove(row)
        else:
            self.scenes.move(row, row - 1 if what == "up" else row + 1)
            self.panel.select(max(0, min(row + (-1 if what == "up" else 1), len(self.scenes.scenes) - 1)),
                              emit=False)

    def _step_scene(self, delta: int) -> None:
        target = self.panel.current() + delta
        if 0 <= target < len(self.scenes.scenes):
            self.panel.select(target)

    # -- files ----------------------------------------------------------------------------------
    def _dir(self) -> str:
        return str(self.store.value("lecture/lastDir", str(Path.home())))

    def _remember_dir(self, path: Path) -> None:
        self.store.setValue("lecture/lastDir", str(path.parent))

    def open_dialog(self) -> None:
        """Ask for a file and open it."""
        name, _ = QFileDialog.getOpenFileName(self.window, "Open", self._dir(), FILE_FILTER)
        if name:
            self.open(name)

    def open(self, name: str | Path) -> bool:
        """Open a .chainrule file or a lesson .json: checked whole before anything changes, so a bad
        file gives a message naming file, scene and field and leaves the window exactly as it was."""
        path = Path(name)
        try:
            document = load_document(path) if path.suffix == FILE_SUFFIX else open_lesson_or_file(str(path))
        except LessonError as exc:
            QMessageBox.warning(self.window, "Cannot open this file", f"{exc}\n\nNothing was changed.")
            return False
        if not self._may_discard():
            return False
        self.set_document(document, path if path.suffix == FILE_SUFFIX else None)
        self.recent.add(path)
        self._remember_dir(path)
        return True

    def save(self) -> bool:
        """Save to the current file (asks for a name the first time)."""
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        """Ask for a file name and save there."""
        suggested = str(Path(self._dir()) / f"{self.scenes.lesson.id}{FILE_SUFFIX}")
        name, _ = QFileDialog.getSaveFileName(self.window, "Save As", suggested, FILE_FILTER)
        if not name:
            return False
        path = Path(name)
        return self._write(path if path.suffix else path.with_suffix(FILE_SUFFIX))

    def _write(self, path: Path) -> bool:
        document = self.snapshot()
        if document is None:
            return False
        try:
            save_document(path, document)
        except (OSError, LessonError) as exc:
            QMessageBox.warning(self.window, "Could not save",
                                f"{exc if isinstance(exc, LessonError) else f'{path}: {exc}'}\n"
                                "The previous file is unchanged.")
            return False
        self.path = path
        self.scenes.stack.setClean()
        self._mark_clean()
        self.autosaver.discard()
        self.recent.add(path)
        self._remember_dir(path)
        self._update_title()
        return True

    def _may_discard(self) -> bool:
        """True if there are no unsaved scene edits, or the lecturer saved or chose to discard them."""
        if self.scenes.stack.isClean():
            return True
        answer = QMessageBox.question(self.window, "Unsaved lesson", "Save the changes to the lesson first?",
                                      QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)
        return answer == QMessageBox.Discard or (answer == QMessageBox.Save and self.save())

    def _status(self, message: str, ms: int = 15_000) -> None:
        self.window.statusBar().showMessage(message, ms)

    def _offer_recovery(self) -> None:
        """After a crash with unsaved changes, offer the autosave back; never fails start-up."""
        saver = self.autosaver
        try:
            document = saver.pending()
            if saver.notice:
                self._status(saver.notice, 30_000)
            if saver.unreadable:
                QMessageBox.warning(self.window, "Autosave could not be recovered", saver.notice)
            if document is None:
                return
            stamp, scenes = document.autosave, len(document.lesson.scenes)
            changes = f"unsaved changes to {Path(stamp.file).name}" if stamp and stamp.file else "an untitled lesson"
            answer = QMessageBox.question(
                self.window, "Recover unsaved work?",
                f"Chainrule did not close cleanly. Recover “{document.lesson.title}” "
                f"({scenes} scene{'s' * (scenes != 1)}, {changes}) from the autosave of "
                f"{saver.saved_at(document):%H:%M:%S on %d %B %Y}?\n\nIf not, the autosave is kept in "
                f"{saver.folder} to open later with File > Open.")
            if answer == QMessageBox.Yes:
                self.set_document(replace(document, autosave=None),
                                  Path(stamp.file) if stamp and stamp.file else None)
                saver.adopt()  # kept as this window's autosave until saved
                self.scenes.stack.resetClean()  # recovered work is unsaved work
                self._clean_views = {}
                self._update_title()
            else:
                self._status(f"The autosave was kept as {saver.set_aside()}.", 30_000)
        except Exception as exc:  # noqa: BLE001 — whatever is wrong with a leftover, start-up goes on
            log.exception("recovery failed")
            kept = f"left in {saver.folder}"
            with suppress(OSError):
                kept = f"kept as {saver.set_aside(broken=True)}"
            QMessageBox.warning(self.window, "Autosave could not be recovered", f"{exc}\n\nThe autosave was {kept}.")

    def _update_title(self) -> None:
        name = self.path.name if self.path else self.scenes.lesson.title
        self.window.setWindowTitle(f"{name}[*] — Chainrule")
        self.window.setWindowModified(not self.scenes.stack.isClean())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        """On closing the window: offer to save, then drop the recovery file (a clean quit).

        Quitting without questions (Ctrl+C, SIGTERM) keeps unsaved edits in the autosave instead.
        """
        if watched is self.window and event.type() == QEvent.Close:
            asking = self.window.ask_before_closing
            if asking and not self._may_discard():
                event.ignore()
                return True
            if asking:
                self.autosaver.discard()
            else:
                self.autosaver.save_now()  # (only unsaved work is written; it never raises)
            self.autosaver.release()  # what is left now is for the next start to offer
            if self.presenter is not None:
                self.presenter.close()
        return False

    # -- lessons, presenting, export ---------------------------------------------------------------
    def browse(self) -> None:
        """Pick a built-in lesson: open it in the window, or present it straight away."""
        dialog = LessonBrowser(self.window)
        try:
            result = dialog.exec()
            chosen = dialog.chosen() if result in (int(LessonBrowser.Accepted), LessonBrowser.PRESENT) else None
        finally:
            dialog.deleteLater()  # (a child of the window: each browse would otherwise keep its dialog)
        if chosen is not None and self._may_discard():
            self.set_document(Document(lesson=chosen), None)
            if result == LessonBrowser.PRESENT:
                self.present(0)

    def present(self, start: int) -> None:
        """Full-screen presenter mode on the chosen screen; the current view if there is no lesson."""
        lesson = self.scenes.lesson
        if not lesson.scenes:
            adapter = self.current_adapter()
            if adapter is None:
                return
            lesson, start = Lesson(id="current-view", title="Chainrule", scenes=[adapter.capture()]), 0
        chosen = self.store.value("lecture/presenterScreen", "")
        screen = next((s for s in QGuiApplication.screens() if s.name() == chosen), None)
        try:
            self.presenter = PresenterWindow(lesson, start)
        except LessonError as exc:
            QMessageBox.warning(self.window, "Cannot present this lesson", str(exc))
            return
        self.presenter.closed.connect(lambda index: self.panel.select(index, emit=False))
        self.presenter.present(screen)

    def export_dialog(self, suffix: str, scale: float) -> None:
        """Ask where to save the view on screen (still or animation) and export it."""
        adapter = self.current_adapter()
        if adapter is None:
            return
        kinds = {".png": "PNG image (*.png)", ".svg": "SVG drawing (*.svg)", ".gif": "GIF animation (*.gif)",
                 ".mp4": "MP4 video (*.mp4)"}
        name, _ = QFileDialog.getSaveFileName(self.window, "Export", str(Path(self._dir()) / f"chainrule{suffix}"),
                                              kinds[suffix])
        if name:
            path = Path(name) if Path(name).suffix else Path(name).with_suffix(suffix)
            self.export(adapter, path, scale)

    def export(self, adapter: ViewAdapter, path: Path, scale: float = 1.0) -> AnimationJob | None:
        """Write the page's picture to ``path``; animations run as a cancellable job (returned)."""
        self._remember_dir(path)
        problem = unwritable(path)  # a folder, a missing folder, no permission: said before any rendering
        if problem is not None:
            QMessageBox.warning(self.window, "Export failed", problem)
            return None
        if path.suffix in (".png", ".svg"):
            try:
                export_still(adapter.picture(), path, scale)
            except (ExportError, OSError) as exc:
                QMessageBox.warning(self.window, "Export failed", str(exc))
            return None
        if not adapter.ready():
            QMessageBox.information(self.window, "Still computing", "Wait for the view to finish, then export.")
            return None
        step = adapter.step()
        job = self.job = AnimationJob(adapter, path, self.window, fps=2.0, scale=scale)
        job.finished.connect(lambda outcome: self._exported(adapter, step, job.summary(outcome),
                                                            outcome.status in ("failed", "paused")))
        job.start()
        return job

    def _exported(self, adapter: ViewAdapter, step: int, message: str, failed: bool) -> None:
        """Put the view back at the step it was on and say how the export went."""
        adapter.set_step(step)
        self.window.statusBar().showMessage(message, 8000)
        if failed:
            QMessageBox.warning(self.window, "Export failed", message)
