"""Saved .chainrule files: exact round trip, clear errors for bad files, atomic saves, recent files, recovery."""
import json
import os

import pytest
from PySide6.QtCore import QSettings

from app.lecture.lessons import LessonError, builtin_lesson, builtin_lessons
from app.lecture.storage import (Autosaver, Document, DocumentError, RecentFiles, load_document,
                                 open_lesson_or_file, save_document)


def _document() -> Document:
    lesson = builtin_lesson("matrix-derivatives")
    return Document(lesson=lesson, scene=2, views={
        "explorer": {"expression": "q = x + y\nf = q * z", "values": {"x": -2.0, "y": 5.0, "z": -4.0}},
        "optimizer": {"surface": "rosenbrock", "optimizers": ["SGD", "Adam"], "lr": 0.01}})


def test_save_then_open_round_trips_exactly(tmp_path):
    path = tmp_path / "talk.chainrule"
    doc = _document()
    save_document(path, doc)
    again = load_document(path)
    assert again == doc
    save_document(tmp_path / "again.chainrule", again)
    assert (tmp_path / "again.chainrule").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("every_builtin", [l.id for l in builtin_lessons()])
def test_every_builtin_lesson_round_trips(tmp_path, every_builtin):
    doc = Document(lesson=builtin_lesson(every_builtin))
    save_document(tmp_path / "x.chainrule", doc)
    assert load_document(tmp_path / "x.chainrule") == doc


def test_truncated_file_says_so(tmp_path):
    path = tmp_path / "cut.chainrule"
    save_document(path, _document())
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(DocumentError, match="truncated") as err:
        load_document(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a text file"),
    (b"{\"format\": \"chainrule\", \"schema\": 1,, }", "not valid JSON at line 1"),
    (b"", "empty"),
    (b"[1, 2, 3]", "not a Chainrule file"),
    (b"{\"format\": \"chainrule\", \"schema\": 99, \"lesson\": {}}", "newer Chainrule"),
    (b"{\"format\": \"chainrule\", \"schema\": 1, \"lesson\": {\"schema\": 1, \"id\": \"x\", \"title\": \"t\","
     b" \"scenes\": [{\"view\": \"explorer\", \"example\": \"add-mul\", \"step\": \"two\"}]}}",
     "scene 1, field 'lesson.step'"),
])
def test_garbled_file_gives_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.chainrule"
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=message):
        load_document(path)


def test_missing_file_is_an_error_not_a_crash(tmp_path):
    with pytest.raises(DocumentError, match="no such file"):
        load_document(tmp_path / "gone.chainrule")


def test_interrupted_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "talk.chainrule"
    save_document(path, _document())
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk pulled out mid-write")

    monkeypatch.setattr(os, "fsync", crash)
    changed = _document()
    changed.scene = 0
    with pytest.raises(OSError, match="mid-write"):
        save_document(path, changed)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.chainrule"]


def test_unserialisable_state_leaves_the_old_file_intact(tmp_path):
    path = tmp_path / "talk.chainrule"
    save_document(path, _document())
    before = path.read_bytes()
    broken = _document()
    broken.views["explorer"]["values"]["x"] = float("nan")
    with pytest.raises(ValueError):
        save_document(path, broken)
    assert path.read_bytes() == before


def test_open_lesson_or_file_takes_ids_lessons_and_saved_files(tmp_path):
    assert open_lesson_or_file("chain-rule").lesson.id == "chain-rule"
    lesson_file = tmp_path / "mine.json"
    lesson_file.write_text(json.dumps(builtin_lesson("activations").to_dict()), encoding="utf-8")
    assert open_lesson_or_file(str(lesson_file)).lesson.id == "activations"
    saved = tmp_path / "talk.chainrule"
    save_document(saved, _document())
    assert open_lesson_or_file(str(saved)).scene == 2
    with pytest.raises(LessonError, match="built-in lessons: chain-rule"):
        open_lesson_or_file("no-such-lesson")


def test_recent_files_newest_first_without_duplicates(tmp_path):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    recent = RecentFiles(store, limit=3)
    files = []
    for name in "abcd":
        f = tmp_path / f"{name}.chainrule"
        f.write_text("{}")
        files.append(str(f.resolve()))
        recent.add(f)
    recent.add(files[1])
    assert recent.paths() == [files[1], files[3], files[2]]
    os.unlink(files[3])
    assert recent.paths() == [files[1], files[2]]
    recent.clear()
    assert recent.paths() == []


def test_autosave_writes_only_changes_and_offers_recovery_until_discarded(qtbot, tmp_path):
    doc = _document()
    current = [None]
    saver = Autosaver(lambda: current[0], folder=tmp_path, interval_ms=10_000)
    assert saver.pending() is None
    assert not saver.save_now() and not saver.path.exists(), "nothing to keep yet"
    current[0] = doc
    assert saver.save_now()
    assert not saver.save_now(), "unchanged: not written again"
    doc.scene = 3
    assert saver.save_now()
    assert saver.pending() == doc
    saver.discard()
    assert saver.pending() is None


def test_unreadable_recovery_file_is_dropped(qtbot, tmp_path):
    saver = Autosaver(_document, folder=tmp_path)
    saver.path.write_text("{ not json", encoding="utf-8")
    assert saver.pending() is None
    assert not saver.path.exists()
