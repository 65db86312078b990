"""Saved work through the window: what is saved reopens as it was, a failed open changes nothing,
recovery offers only unsaved work and never deletes or crashes, autosave never raises."""
import copy
import json
import os
import random

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from app.lecture.lessons import builtin_lesson
from app.lecture.storage import Document, document_text, load_document, save_document
from tests.ui_actions import UIActions


class Dialogs:
    """QMessageBox answered without a screen: every warning and question is recorded."""

    def __init__(self, monkeypatch):
        self.warnings: list[str] = []
        self.questions: list[str] = []
        self.answer = QMessageBox.Yes
        monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: self.warnings.append(text))
        monkeypatch.setattr(QMessageBox, "question",
                            lambda parent, title, text, *a: self.questions.append(text) or self.answer)


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch)


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Main windows with lecture mode, settings and recovery in tmp_path; closed (labs stopped) at the end."""
    from app.lecture.menus import install_lecture_mode
    from app.main_window import MainWindow
    made = []

    def make(example: str | None = "add-mul", recovery=None):
        window = MainWindow()
        if example:
            window.explorer.state.load_example(example)
        mode = install_lecture_mode(window, QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat),
                                    recovery or tmp_path / "recovery")
        made.append(mode)
        return window, mode

    yield make
    from app.lecture.scenes import adapter_for
    for mode in made:
        for kind, page in mode._pages().items():
            adapter_for(kind, page).shutdown()  # background work ends before the pages go
        mode.scenes.stack.setClean()
        mode.window.close()
        mode.window.deleteLater()


def _show_tab(window, title: str):
    """Bring a tab to front by its title (creating its lab, as a user's click does); returns the page."""
    tabs = window.tabs
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.tabText(i) == title))
    return tabs.currentWidget()


def _state(mode) -> str:
    """Everything a saved session keeps, as the text it is saved as."""
    return document_text(mode.snapshot())


def _window_state(mode) -> tuple:
    """What a failed open must leave alone: path, title, lesson, selection, the pages' content."""
    return (mode.path, mode.window.windowTitle(), mode.window.isWindowModified(), copy.deepcopy(mode.scenes.lesson),
            mode.panel.current(), _state(mode), mode.window.tabs.currentIndex(), mode.scenes.stack.count())


# -- 1. what is saved reopens --------------------------------------------------------------------------
def test_a_typo_left_in_the_editor_is_a_draft_not_the_program(make_window, dialogs, tmp_path):
    window, mode = make_window(None)
    explorer = window.explorer
    explorer.editor.edit.setPlainText("q = x + y\nf = q * z")
    explorer.editor.commit()
    explorer.editor.edit.setPlainText("q = x + y\nf = q * ")  # a typo, left there
    explorer.editor.commit()
    mode.add_current_view()
    assert mode.scenes.scenes[0].expression == "q = x + y\nf = q * z" and mode.scenes.scenes[0].draft is None
    path = tmp_path / "talk.chainrule"
    assert mode._write(path), dialogs.warnings
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["views"]["explorer"]["expression"] == "q = x + y\nf = q * z"
    assert saved["views"]["explorer"]["draft"] == "q = x + y\nf = q * "
    other, other_mode = make_window("sigmoid-neuron")
    assert other_mode.open(path), dialogs.warnings
    assert other.explorer.editor.text() == "q = x + y\nf = q * ", "the draft is back in the editor"
    assert other.explorer.editor.last_error is not None, "with its error shown"
    assert other.explorer.state.source == "q = x + y\nf = q * z", "and the graph is the last good program"
    assert [x.name for x in other.explorer.state.graph.inputs] == ["x", "y", "z"]
    assert _state(other_mode) == _state(mode)


def test_edited_inputs_of_an_example_are_kept(make_window, dialogs, tmp_path):
    window, mode = make_window("sigmoid-neuron")
    window.explorer.state.set_input("w0", float("nan"))
    window.explorer.state.set_input("x1", float("inf"))
    window.explorer.state.set_position(7)
    path = tmp_path / "talk.chainrule"
    assert mode._write(path), dialogs.warnings
    text = path.read_text(encoding="utf-8")
    assert '"w0": "nan"' in text and '"x1": "inf"' in text and "NaN" not in text
    other, other_mode = make_window()
    assert other_mode.open(path)
    values = {n.name: n.data for n in other.explorer.state.graph.nodes if n.prim is None and n.name}
    assert values["w0"] != values["w0"] and values["x1"] == float("inf") and values["x0"] == -1.0
    assert (other.explorer.state.example_id, other.explorer.state.position) == ("sigmoid-neuron", 7)
    assert _state(other_mode) == _state(mode)


def test_an_unrolled_network_saves_and_reopens_as_the_same_graph(make_window, dialogs, tmp_path):
    window, mode = make_window()
    lab = _show_tab(window, "Sequence lab")
    lab.load_preset("Sine wave: next value (T = 30)")
    other, other_mode = make_window()
    for step, cell in enumerate(("rnn", "lstm", "gru")):
        assert lab.show_unrolled(cell)
        shown = window.explorer.state.graph
        window.explorer.state.set_position(11 + step)
        mode.add_current_view()
        path = tmp_path / f"unrolled-{cell}.chainrule"
        assert mode._write(path), dialogs.warnings
        assert other_mode.open(path), dialogs.warnings
        again = other.explorer.state.graph
        assert [n.name for n in again.nodes] == [n.name for n in shown.nodes]
        for a, b in zip(again.nodes, shown.nodes):
            assert (a.prim is None) == (b.prim is None) and (a.prim is None or a.prim.name == b.prim.name)
            assert np.array_equal(a.data, b.data), "the same numbers, to the last bit"
        assert other.explorer.state.position == 11 + step and other.tabs.currentWidget() is other.explorer
        assert other.explorer.editor.text() == window.explorer.editor.text() == other.explorer.state.source
        assert _state(other_mode) == _state(mode)
    assert len(other_mode.scenes.scenes) == 3 and not dialogs.warnings


def test_a_nan_input_does_not_stop_saving_or_autosave(make_window, dialogs, tmp_path):
    window, mode = make_window()
    window.explorer.inputs.item(0, 1).setText("1e999")
    window.explorer.inputs.item(1, 1).setText("nan")
    assert mode.autosaver.save_now(), "an input edit is an unsaved change"
    assert load_document(mode.autosaver.path).views["explorer"].values["x"] == float("inf")
    assert mode._write(tmp_path / "x.chainrule") and not dialogs.warnings


SEED, TRIALS = 18, 24
"""The property test's session (bench-style longer runs: set TRIALS higher, vary SEED)."""


def test_save_then_open_gives_back_the_same_state_after_random_actions(make_window, dialogs, tmp_path):
    """The property: any sequence of UI actions gives a state that saves, autosaves and reopens as it was.

    Two windows take turns: one acts and saves, the other opens the file and is compared, then acts on
    what it opened (open, edit, save: what a lecturer does)."""
    windows = [make_window(), make_window()]
    for window, _ in windows:  # every page exists, so every view is saved and compared
        for title in ("Optimizer lab", "Sequence lab", "Graph explorer"):
            _show_tab(window, title)
    rng = random.Random(SEED)
    for trial in range(TRIALS):
        (window, mode), (_, other) = windows[trial % 2], windows[(trial + 1) % 2]
        done = UIActions(window, mode, rng).run(rng.randrange(3, 14))
        where = f"trial {trial}: " + " → ".join(done)
        before = _state(mode)
        assert mode.autosaver.save_now() or not mode.has_unsaved_changes(), where
        if mode.autosaver.path.exists():
            load_document(mode.autosaver.path)  # the recovery copy opens too
        path = tmp_path / f"trial{trial}.chainrule"
        assert mode._write(path), f"{where}: {dialogs.warnings}"
        assert other.open(path), f"{where}: {dialogs.warnings}"
        assert _state(other) == before, where
        assert not dialogs.warnings, where
        assert not other.has_unsaved_changes(), where


# -- 3. recovery ---------------------------------------------------------------------------------------
def test_no_recovery_dialog_after_a_kill_with_nothing_edited(make_window, dialogs, tmp_path):
    window, mode = make_window()
    window.explorer.state.set_position(5)  # looking around is not editing
    window.explorer.state.set_mode("forward")
    _show_tab(window, "Sequence lab")  # nor is opening a lab
    assert not mode.has_unsaved_changes()
    assert not mode.autosaver.save_now() and not mode.autosaver.path.exists()
    make_window(recovery=mode.autosaver.folder)  # the next start, after a kill
    assert dialogs.questions == []


@pytest.mark.parametrize("quit_asking", [True, False], ids=["closed", "Ctrl+C"])
def test_view_only_changes_are_not_unsaved_and_leave_no_autosave(make_window, dialogs, tmp_path, quit_asking):
    """Every tab, zoom, stepping the timelines, the mode and input to look at, a node selected: the window
    is not marked modified, nothing is autosaved, and closing (asking or not) leaves no recovery file."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    window, mode = make_window()
    window.resize(1000, 700)
    window.show()
    ui = UIActions(window, mode, random.Random(4))
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
    window.tabs.setCurrentIndex(0)
    canvas = window.explorer.canvas
    middle = canvas.viewport().rect().center()
    for turn in (120, 240, -120):
        QApplication.sendEvent(canvas.viewport(), QWheelEvent(QPointF(middle), QPointF(canvas.mapToGlobal(middle)),
                                                              QPoint(), QPoint(0, turn), Qt.NoButton, Qt.NoModifier,
                                                              Qt.NoScrollPhase, False))
    QTest.mouseClick(canvas.viewport(), Qt.LeftButton, pos=middle)
    window.explorer.state.select_node(0)
    for action in (ui.step, ui.choose_mode, ui.choose_wrt, ui.sequence_time) * 4:
        action()
    assert not mode.has_unsaved_changes() and not window.isWindowModified()
    assert not mode.autosaver.save_now()
    window.ask_before_closing = quit_asking
    assert window.close()
    assert dialogs.questions == [], "nothing to save: not asked"
    assert sorted(p.name for p in mode.autosaver.folder.glob("*")) == [], "no autosave, no lock left"
    make_window(recovery=mode.autosaver.folder)  # the next start
    assert dialogs.questions == [], "no recovery offered"


def _saved_then_edited(make_window, tmp_path, row: int, text: str):
    """A window whose work was saved to talk.chainrule, then an input edited and autosaved."""
    window, mode = make_window()
    path = tmp_path / "talk.chainrule"
    assert mode._write(path)
    window.explorer.inputs.item(row, 1).setText(text)
    assert mode.autosaver.save_now()
    mode.autosaver.release()  # then killed: the file stays, its owner is gone
    return window, mode, path


def test_recovery_says_what_and_when_and_declining_keeps_the_file(make_window, dialogs, tmp_path):
    window, mode, path = _saved_then_edited(make_window, tmp_path, 0, "7")
    recovery = mode.autosaver.path
    saved = recovery.read_bytes()
    dialogs.answer = QMessageBox.No
    _, second = make_window(recovery=mode.autosaver.folder)  # after a kill
    (question,) = dialogs.questions
    assert "did not close cleanly" in question and "unsaved changes to talk.chainrule" in question
    assert "(1 scene," in question
    assert not recovery.exists(), "set aside, so this session's autosave does not overwrite it"
    (kept,) = recovery.parent.glob("autosave-*.chainrule")
    assert kept.read_bytes() == saved, "declined: kept as it was, for later"
    assert f"{load_document(kept).autosave.saved_at.astimezone():%H:%M:%S on %d %B %Y}" in question
    assert str(kept) in second.window.statusBar().currentMessage()
    assert second.path is None


def test_two_windows_open_at_once_keep_their_own_autosaves(make_window, dialogs, tmp_path):
    (one, first), (two, second) = make_window(), make_window()
    one.explorer.inputs.item(0, 1).setText("7")
    two.explorer.inputs.item(0, 1).setText("8")
    assert first.autosaver.save_now() and second.autosaver.save_now()
    assert [load_document(m.autosaver.path).views["explorer"].values["x"] for m in (first, second)] == [7, 8]
    make_window()  # a third window while both run
    assert dialogs.questions == [], "a running window's autosave is not offered"
    second.autosaver.release()  # the second one is killed
    make_window()
    (question,) = dialogs.questions
    assert load_document(first.autosaver.path).views["explorer"].values["x"] == 7, "the first one's is untouched"


def test_recovering_restores_the_work_and_its_file(make_window, dialogs, tmp_path):
    window, mode, path = _saved_then_edited(make_window, tmp_path, 2, "-inf")
    expected = _state(mode)
    other, second = make_window(None, recovery=mode.autosaver.folder)
    assert len(dialogs.questions) == 1
    assert _state(second) == expected
    assert second.path == path and other.isWindowModified() and second.has_unsaved_changes()
    assert other.windowTitle() == "talk.chainrule[*] — Chainrule"


def test_an_autosave_older_than_the_last_save_is_not_offered(make_window, dialogs, tmp_path):
    window, mode, path = _saved_then_edited(make_window, tmp_path, 0, "7")
    stamp = load_document(mode.autosaver.path).autosave.saved_at.timestamp()
    os.utime(path, (stamp + 5, stamp + 5))  # saved after the autosave (killed before it was removed)
    _, second = make_window(recovery=mode.autosaver.folder)
    assert dialogs.questions == []
    assert len(list(mode.autosaver.folder.glob("autosave-*.chainrule"))) == 1, "kept aside, not deleted"


BROKEN_RECOVERIES = {
    "not json": "{ not json",
    "truncated": None,  # filled in below from a real autosave
    "bad view state (crashed set_document before)": json.dumps({
        "format": "chainrule", "schema": 1, "lesson": builtin_lesson("chain-rule").to_dict(), "scene": 0,
        "views": {"explorer": {"view": "explorer", "expression": "f = q * ", "values": {}}}}),
    "bad scene": json.dumps({
        "format": "chainrule", "schema": 1, "scene": 0, "lesson": {
            "schema": 1, "id": "x", "title": "x",
            "scenes": [{"view": "explorer", "expression": "f = q *", "values": {}}]}}),
    "unknown preset": json.dumps({
        "format": "chainrule", "schema": 1, "scene": 0, "lesson": builtin_lesson("chain-rule").to_dict(),
        "views": {"sequence": {"view": "sequence", "preset": "gone"}}}),
}


@pytest.mark.parametrize("kind", list(BROKEN_RECOVERIES))
def test_a_recovery_file_that_does_not_load_is_moved_aside_never_deleted_never_a_crash(make_window, dialogs,
                                                                                        tmp_path, kind):
    folder = tmp_path / "recovery"
    folder.mkdir()
    text = BROKEN_RECOVERIES[kind]
    if text is None:
        doc = Document(lesson=builtin_lesson("activations"))
        save_document(folder / "autosave.chainrule", doc)
        text = (folder / "autosave.chainrule").read_text(encoding="utf-8")[:200]
    (folder / "autosave.chainrule").write_text(text, encoding="utf-8")
    window, mode = make_window(recovery=folder)
    assert dialogs.questions == [], "nothing that cannot be restored is offered"
    (warning,) = dialogs.warnings
    (kept,) = folder.glob("autosave-*.broken.chainrule")
    assert kept.read_text(encoding="utf-8") == text and str(kept) in warning
    assert not (folder / "autosave.chainrule").exists()
    assert mode.scenes.lesson.title == "Untitled lesson", "start-up went on with an empty lesson"


def test_autosave_failures_go_to_the_status_bar_and_the_timer_keeps_going(make_window, dialogs, tmp_path):
    window, mode = make_window()
    folder = mode.autosaver.folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the folder should be")
    window.explorer.inputs.item(0, 1).setText("7")
    assert not mode.autosaver.save_now()
    assert "Autosave failed" in window.statusBar().currentMessage()
    assert mode.autosaver._timer.isActive()
    folder.unlink()
    assert mode.autosaver.save_now(), "and the next tick works again"


# -- 4. a failed open changes nothing --------------------------------------------------------------
def _bad_views():
    """Invalid ``views`` (and ``view``) entries: wrong types, unknown views, missing and unknown fields,
    bad expressions, values, modes, steps, examples, presets, surfaces, optimizers, drafts."""
    explorer = {"view": "explorer", "expression": "q = x + y\nf = q * z", "values": {"x": 1, "y": 2, "z": 3}}
    bad_explorer = [
        {**explorer, "expression": "f = q * "}, {**explorer, "expression": 3}, {**explorer, "expression": ""},
        {**explorer, "expression": "import os"}, {**explorer, "values": {"x": 1, "y": 2}},
        {**explorer, "values": {"x": 1, "y": 2, "z": 3, "w": 4}}, {**explorer, "values": {"x": "1", "y": 2, "z": 3}},
        {**explorer, "values": {"x": "NaN", "y": 2, "z": 3}}, {**explorer, "values": {"x": [], "y": 2, "z": 3}},
        {**explorer, "values": {"x": [[1], [1, 2]], "y": 2, "z": 3}}, {**explorer, "values": {"x": True, "y": 2, "z": 3}},
        {**explorer, "values": [1, 2, 3]}, {**explorer, "values": {"x": None, "y": 2, "z": 3}},
        {**explorer, "mode": "sideways"}, {**explorer, "mode": "reverse", "wrt": "x"},
        {**explorer, "mode": "grad-graph", "wrt": "w"}, {**explorer, "step": -5}, {**explorer, "step": "2"},
        {**explorer, "step": 1.5}, {**explorer, "draft": 7}, {**explorer, "example": "add-mul"},
        {k: v for k, v in explorer.items() if k != "expression"}, {**explorer, "preset": "x"},
        {**explorer, "title": ["t"]}, {**explorer, "view": "optimizer"},
        {"view": "explorer", "example": "no-such-example"},
        {"view": "explorer", "example": "add-mul", "values": {"w": 1}},
        {"view": "explorer", "example": "softmax-regression", "values": {"W": [1, 2]}},
        {"view": "explorer", "example": "add-mul", "mode": "grad-graph", "wrt": "q"},
        {"view": "explorer", "expression": "f = x / y", "values": {"x": 1, "y": [[1, 2]]}},
    ]
    variants = [{"explorer": v} for v in bad_explorer]
    variants += [{"optimizer": v} for v in (
        {"view": "optimizer"}, {"view": "optimizer", "preset": "no such preset"},
        {"view": "optimizer", "surface": "no-such-surface"},
        {"view": "optimizer", "surface": "rosenbrock", "optimizers": ["SGD", "Hope"]},
        {"view": "optimizer", "surface": "rosenbrock", "optimizers": "SGD"}, {"view": "optimizer", "preset": 3})]
    variants += [{"sequence": v} for v in (
        {"view": "sequence"}, {"view": "sequence", "preset": "no such preset"}, {"view": "sequence", "preset": None},
        {"view": "sequence", "preset": "Adding problem (T = 30)", "step": "last"})]
    variants += [{"slides": {"view": "slides"}}, {"explorer": "explorer"}, {"explorer": None}, {"explorer": []},
                 {"explorer": {}}]
    files = [{"views": v} for v in variants]
    files += [{"views": []}, {"views": "explorer"}, {"views": {"explorer": explorer}, "view": "sequence"},
              {"views": {"explorer": explorer}, "view": 3}, {"views": {"explorer": explorer}, "extra": 1}]
    return files


BAD_VIEWS = _bad_views()


def test_there_are_enough_invalid_views_variants():
    assert len(BAD_VIEWS) >= 45


def test_every_invalid_views_variant_is_refused_by_the_loader(tmp_path):
    from app.lecture.storage import DocumentError, document_from_text
    base = {"format": "chainrule", "schema": 1, "lesson": builtin_lesson("chain-rule").to_dict(), "scene": 0}
    for variant in BAD_VIEWS:
        with pytest.raises(DocumentError) as err:
            document_from_text(json.dumps({**base, **variant}), "bad.chainrule")
        message = str(err.value)
        assert message.startswith("bad.chainrule, field '"), message
        field = message.split("field '")[1].split("'")[0]
        assert field.split(".")[0] in ("views", "view", "extra"), message


def test_a_failed_open_leaves_the_window_exactly_as_it_was(make_window, dialogs, tmp_path):
    window, mode = make_window()
    _show_tab(window, "Sequence lab")
    _show_tab(window, "Graph explorer")
    good = tmp_path / "good.chainrule"
    window.explorer.state.set_position(4)
    mode.add_current_view()
    assert mode._write(good)
    window.explorer.state.load_example("sigmoid-neuron")  # something on screen that is not the saved file
    mode.add_current_view()
    base = {"format": "chainrule", "schema": 1, "lesson": builtin_lesson("chain-rule").to_dict(), "scene": 2}
    before = _window_state(mode)
    for k, variant in enumerate(BAD_VIEWS):
        bad = tmp_path / f"bad{k}.chainrule"
        bad.write_text(json.dumps({**base, **variant}), encoding="utf-8")
        assert not mode.open(bad), variant
        assert str(bad) in dialogs.warnings[-1] and "field '" in dialogs.warnings[-1], variant
        assert _window_state(mode) == before, variant
    assert len(dialogs.warnings) == len(BAD_VIEWS) and dialogs.questions == [], "not even asked to save first"


def test_an_input_set_to_minus_zero_stays_minus_zero(make_window, dialogs, tmp_path):
    window, mode = make_window("mlp-logloss")
    leaf = next(n for n in window.explorer.state.graph.nodes if n.prim is None and n.name and n.data == 0.0)
    window.explorer.state.set_input(leaf.name, -0.0)
    assert mode._write(tmp_path / "z.chainrule")
    other, other_mode = make_window()
    assert other_mode.open(tmp_path / "z.chainrule")
    again = other.explorer.state.graph.find(leaf.name).data
    assert again == 0.0 and np.copysign(1.0, again) == -1.0


# -- 6. nothing kept per action ------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["Accepted", "Rejected"])
def test_browsing_lessons_keeps_no_dialog_behind(make_window, dialogs, monkeypatch, answer):
    """Found by the monkey's memory figures: every browse left its LessonBrowser (a child of the window)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication, QDialog

    from app.lecture.browser import LessonBrowser
    window, mode = make_window()
    monkeypatch.setattr(QDialog, "exec", lambda dialog: int(getattr(QDialog, answer)))
    for _ in range(3):
        mode.browse()
        mode.scenes.stack.setClean()
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    assert window.findChildren(LessonBrowser) == []
    assert (mode.scenes.lesson.title != "Untitled lesson") == (answer == "Accepted")
