"""Saved .chainrule files: exact round trip, clear errors for bad files, atomic saves, recent files, recovery."""
import json
import math
import os
import stat
import threading

import pytest
from PySide6.QtCore import QSettings

from app.lecture.lessons import LessonError, Scene, builtin_lesson, builtin_lessons, load_lesson
from app.lecture.storage import (Autosaver, Document, DocumentError, RecentFiles, load_document,
                                 open_lesson_or_file, save_document)


def _document() -> Document:
    lesson = builtin_lesson("matrix-derivatives")
    return Document(lesson=lesson, scene=2, view="explorer", views={
        "explorer": Scene(view="explorer", expression="q = x + y\nf = q * z",
                          values={"x": -2.0, "y": 5.0, "z": -4.0}),
        "optimizer": Scene(view="optimizer", surface="rosenbrock", optimizers=["SGD", "Adam"])})


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
    broken.views["explorer"].values["x"] = {1, 2}  # (NaN is saved now: see the non-finite tests)
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
    assert Autosaver(lambda: None, folder=tmp_path).pending() is None, "its instance still runs: not offered"
    saver.release()  # (what a crash leaves: the file, its owner gone)
    assert Autosaver(lambda: None, folder=tmp_path).pending() == doc
    saver.discard()
    assert Autosaver(lambda: None, folder=tmp_path).pending() is None


def test_two_instances_keep_their_own_autosaves_and_offer_only_a_gone_ones(qtbot, tmp_path):
    """Two windows open at once (here in one process; across processes the lock is a process's) never
    overwrite each other's autosave, nor offer it while its window runs."""
    docs = [_document(), Document(lesson=builtin_lesson("activations"))]
    first, second = (Autosaver(lambda d=d: d, folder=tmp_path) for d in docs)
    assert first.save_now() and second.save_now() and first.path != second.path
    assert [load_document(s.path).lesson for s in (first, second)] == [d.lesson for d in docs]
    assert first.pending() is None and second.pending() is None, "both still run"
    second.release()  # second is killed
    third = Autosaver(lambda: None, folder=tmp_path)
    assert third.pending().lesson == docs[1].lesson and third.offered == second.path
    assert Autosaver(lambda: None, folder=tmp_path).pending() is None, "offered to one start only"
    third.adopt()
    assert third.offered is None and load_document(third.path).lesson == docs[1].lesson
    assert sorted(tmp_path.glob("autosave.*.chainrule")) == sorted([first.path, third.path])


def test_unreadable_recovery_file_is_dropped(qtbot, tmp_path):
    (tmp_path / "autosave.chainrule").write_text("{ not json", encoding="utf-8")
    saver = Autosaver(_document, folder=tmp_path)
    assert saver.pending() is None
    assert not (tmp_path / "autosave.chainrule").exists()
    (kept,) = tmp_path.glob("autosave-*.broken.chainrule")
    assert kept.read_text(encoding="utf-8") == "{ not json", "moved aside, never deleted"
    assert saver.unreadable and str(kept) in saver.notice and "not valid JSON" in saver.notice


# -- non-finite numbers ------------------------------------------------------------------------------
def _strict(text: str):
    """Decode as strict JSON: NaN, Infinity and friends are an error here."""
    def refuse(name):
        raise AssertionError(f"{name} in a saved file")
    return json.loads(text, parse_constant=refuse)


def test_nan_and_infinities_round_trip_as_strings_in_scenes_and_views(tmp_path):
    nan, inf = float("nan"), float("inf")
    doc = _document()
    doc.views["explorer"].values = {"x": nan, "y": inf, "z": -inf}
    doc.lesson.scenes[0] = Scene(view="explorer", expression="f = x * y", values={"x": [[1.0, nan], [-inf, 2.0]],
                                                                                  "y": [1e308, 5e-324]})
    path = tmp_path / "talk.chainrule"
    save_document(path, doc)
    data = _strict(path.read_text(encoding="utf-8"))
    assert data["views"]["explorer"]["values"] == {"x": "nan", "y": "inf", "z": "-inf"}
    assert data["lesson"]["scenes"][0]["values"]["x"] == [[1.0, "nan"], ["-inf", 2.0]]
    again = load_document(path)
    x, y, z = (again.views["explorer"].values[k] for k in "xyz")
    assert math.isnan(x) and y == inf and z == -inf
    assert str(again.lesson.scenes[0].values["x"]) == "[[1.0, nan], [-inf, 2.0]]"
    save_document(tmp_path / "again.chainrule", again)
    assert (tmp_path / "again.chainrule").read_bytes() == path.read_bytes(), "written the same way every time"


def test_a_lesson_file_reads_the_same_encoding(tmp_path):
    lesson = {"schema": 1, "id": "l", "title": "L", "scenes": [
        {"view": "explorer", "expression": "f = x * y", "values": {"x": "nan", "y": ["inf", "-inf", 1]}}]}
    path = tmp_path / "l.json"
    path.write_text(json.dumps(lesson), encoding="utf-8")
    values = load_lesson(path).scenes[0].values
    assert math.isnan(values["x"]) and values["y"] == [math.inf, -math.inf, 1]


OTHER_SPELLINGS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400 + ".0", '"NaN"', '"Infinity"',
                   '"+inf"', '"nan "', '"INF"', '"-nan"', "1" + "0" * 5000, "10" * 200]


@pytest.mark.parametrize("spelling", OTHER_SPELLINGS)
@pytest.mark.parametrize("where, message", [
    ("scene", "scene 2, field 'lesson."), ("view", "field 'views.explorer.values")])
def test_other_spellings_of_nan_and_infinity_are_refused_naming_file_scene_and_field(tmp_path, spelling, where,
                                                                                      message):
    doc = _document()
    doc.lesson.scenes[1] = Scene(view="explorer", expression="f = x * y", values={"x": 1.0, "y": 2.0})
    save_document(tmp_path / "ok.chainrule", doc)
    text = (tmp_path / "ok.chainrule").read_text(encoding="utf-8")
    marker = '"x": -2.0' if where == "view" else '"x": 1.0'
    assert text.count(marker) == 1
    path = tmp_path / "bad.chainrule"
    path.write_text(text.replace(marker, f'"x": {spelling}'), encoding="utf-8")
    with pytest.raises(DocumentError) as err:
        load_document(path)
    assert str(err.value).startswith(f"{path}, {message}"), str(err.value)
    assert '"nan", "inf"' in str(err.value) or "digits" in str(err.value)


def test_the_other_spellings_are_refused_in_lesson_files_too(tmp_path):
    path = tmp_path / "l.json"
    path.write_text('{"schema": 1, "id": "l", "title": "L", "scenes": [{"view": "explorer", '
                    '"expression": "f = x", "values": {"x": Infinity}}]}', encoding="utf-8")
    with pytest.raises(LessonError, match=r"l.json, scene 1, field 'values.x': Infinity is not a JSON number"):
        load_lesson(path)


# -- what is saved reopens -----------------------------------------------------------------------------
@pytest.mark.parametrize("change, field", [
    (lambda d: setattr(d.views["explorer"], "expression", "f = q * "), "views.explorer.expression"),
    (lambda d: d.views["explorer"].values.pop("z"), "views.explorer.values"),
    (lambda d: setattr(d.views["explorer"], "example", "gone"), "views.explorer.example"),
    (lambda d: setattr(d.views["optimizer"], "surface", "nowhere"), "views.optimizer.surface"),
    (lambda d: d.views.update(sequence=Scene(view="sequence", preset="no such preset")), "views.sequence.preset"),
    (lambda d: setattr(d.lesson.scenes[1], "example", "gone"), "lesson.example"),
    (lambda d: setattr(d.lesson.scenes[0], "draft", "f = "), "lesson.draft"),
    (lambda d: setattr(d, "view", "sequence"), "view"),
    (lambda d: setattr(d, "scene", 99), "scene"),
])
def test_a_document_that_would_not_reopen_is_not_written(tmp_path, change, field):
    path = tmp_path / "talk.chainrule"
    save_document(path, _document())
    before = path.read_bytes()
    doc = _document()
    change(doc)
    with pytest.raises(DocumentError, match="not saved, it would not open again") as err:
        save_document(path, doc)
    assert f"field '{field}'" in str(err.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.chainrule"], "no temp file left either"


def test_a_document_past_the_size_limit_is_not_written(tmp_path, monkeypatch):
    import app.lecture.storage as storage
    monkeypatch.setattr(storage, "MAX_FILE_BYTES", 1000)
    with pytest.raises(DocumentError, match="more than Chainrule opens"):
        save_document(tmp_path / "big.chainrule", _document())
    assert not (tmp_path / "big.chainrule").exists()


# -- files behave as users expect ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", [0o644, 0o600, 0o664, 0o444])
def test_a_save_keeps_the_file_permissions(tmp_path, mode):
    path = tmp_path / "talk.chainrule"
    path.write_text("old", encoding="utf-8")
    os.chmod(path, mode)
    save_document(path, _document())
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
    assert load_document(path) == _document()


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        save_document(tmp_path / "new.chainrule", _document())
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.chainrule").st_mode) == 0o644


def test_saving_through_a_symlink_writes_the_file_it_points_to(tmp_path):
    target = tmp_path / "real" / "talk.chainrule"
    target.parent.mkdir()
    save_document(target, Document(lesson=builtin_lesson("chain-rule")))
    link = tmp_path / "talk.chainrule"
    link.symlink_to(target)
    save_document(link, _document())
    assert link.is_symlink() and load_document(target) == _document()


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_saving_over_something_that_is_not_a_file_is_refused(tmp_path, kind):
    path = tmp_path / "x.chainrule"
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    with pytest.raises(OSError, match="not a regular file"):
        save_document(path, _document())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.chainrule"]


def test_temp_files_of_killed_saves_are_cleaned_at_the_next_save(tmp_path):
    path = tmp_path / "talk.chainrule"
    leftovers = [tmp_path / ".talk.chainrule.a1b2c3d4.tmp", tmp_path / ".talk.chainrule.k_9xq2mz.tmp"]
    for p in leftovers:
        p.write_bytes(b"{ half a file")
    others = [tmp_path / ".talk.chainrule.backup.tmp", tmp_path / ".other.chainrule.a1b2c3d4.tmp",
              tmp_path / "notes.tmp", tmp_path / ".talk.chainrule.a1b2c3d4.tmp.keep"]
    for p in others:
        p.write_bytes(b"not ours")
    save_document(path, _document())
    assert not any(p.exists() for p in leftovers)
    assert all(p.read_bytes() == b"not ours" for p in others), "only this file's own temp files"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="uses flock")
def test_a_temp_file_being_written_now_is_not_cleaned(tmp_path):
    import fcntl
    from app.lecture.storage import remove_stale_temps
    busy = tmp_path / ".talk.chainrule.00000000.tmp"
    fd = os.open(busy, os.O_WRONLY | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # what a save in another Chainrule does while it writes
    try:
        assert remove_stale_temps(tmp_path / "talk.chainrule") == [] and busy.exists()
    finally:
        os.close(fd)
    assert remove_stale_temps(tmp_path / "talk.chainrule") == [busy] and not busy.exists()


def _load_in_thread(load, path):
    """Run ``load(path)`` where a hang cannot hang the test: returns its error (or result) within 10 s."""
    out = []

    def run():
        try:
            out.append(load(path))
        except Exception as exc:  # noqa: BLE001 — the test looks at it
            out.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert out, f"{load.__name__}({path}) blocked"
    return out[0]


LOADERS = [load_document, load_lesson, open_lesson_or_file]


@pytest.mark.parametrize("load", LOADERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kind, message", [
    ("fifo", "a named pipe (FIFO), not a file"), ("folder", "a folder, not a file"),
    ("link to /dev/zero", "a device, not a file"), ("link to a fifo", "a named pipe (FIFO), not a file"),
    ("sparse 17 MB", "too big to be a Chainrule file (17 MB; the limit is 16 MB)"),
    ("1,000 levels deep", "nested more than 64 levels deep"),
])
def test_only_regular_files_within_the_limits_are_read(tmp_path, load, kind, message):
    suffix = ".json" if load is load_lesson else ".chainrule"
    path = tmp_path / f"x{suffix}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "link to a fifo":
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
    elif kind == "sparse 17 MB":
        with open(path, "wb") as f:
            f.truncate(17 * 2**20)
    else:
        path.write_text("[" * 1000 + "]" * 1000, encoding="utf-8")
    error = _load_in_thread(load, str(path) if load is open_lesson_or_file else path)
    assert isinstance(error, LessonError), error
    assert str(error) == f"{path}: {message}" or str(error).startswith(f"{path}: {message}"), str(error)


def test_brackets_inside_text_do_not_count_towards_the_nesting_limit(tmp_path):
    lesson = builtin_lesson("chain-rule")
    lesson.scenes[0].caption = "[[[[{{{{" * 40 + ' \\" ]]]' + "]" * 5
    path = tmp_path / "deep-caption.chainrule"
    save_document(path, Document(lesson=lesson))
    assert load_document(path).lesson.scenes[0].caption == lesson.scenes[0].caption


@pytest.mark.parametrize("name", ["x.chainrule", "x.json", "x"])
def test_export_refuses_a_fifo_at_once(tmp_path, capsys, name):
    from app.cli import main
    fifo = tmp_path / name
    os.mkfifo(fifo)
    code = _load_in_thread(lambda p: main(["export", p, "--out", str(tmp_path / "x.png")]), str(fifo))
    assert code == 2 and "a named pipe (FIFO), not a file" in capsys.readouterr().err


# -- autosave and recovery -------------------------------------------------------------------------
def test_the_recovery_folder_has_a_fixed_name_whatever_the_launcher(qapp, monkeypatch, tmp_path):
    from app.lecture.storage import recovery_dir
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    names = []
    for name in ("__main__.py", "chainrule", "python3"):
        qapp.setApplicationName(name)
        names.append(recovery_dir())
    assert names == [tmp_path / "Chainrule" / "recovery"] * 3


def test_an_autosave_in_an_earlier_versions_folder_is_brought_over(qapp, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    old = tmp_path / "__main__.py" / "recovery" / "autosave.chainrule"
    old.parent.mkdir(parents=True)
    save_document(old, _document())
    saver = Autosaver(lambda: None)
    assert saver.pending() == _document()
    assert saver.offered == tmp_path / "Chainrule" / "recovery" / "autosave.chainrule" and not old.exists()


def test_autosave_writes_only_unsaved_work_and_drops_its_copy_when_back_to_saved(qtbot, tmp_path):
    unsaved = [False]
    saver = Autosaver(_document, folder=tmp_path, unsaved=lambda: unsaved[0])
    assert not saver.save_now() and not saver.path.exists()
    unsaved[0] = True
    assert saver.save_now() and saver.path.exists()
    unsaved[0] = False  # e.g. undone back to what was saved
    assert not saver.save_now() and not saver.path.exists()


def test_an_autosave_is_stamped_with_its_time_and_file(qtbot, tmp_path):
    from datetime import datetime, timezone
    saver = Autosaver(_document, folder=tmp_path, document_file=lambda: tmp_path / "talk.chainrule")
    before = datetime.now(timezone.utc)
    assert saver.save_now()
    stamp = load_document(saver.path).autosave
    assert stamp.file == str(tmp_path / "talk.chainrule") and before <= stamp.saved_at <= datetime.now(timezone.utc)
    saver.release()
    assert Autosaver(lambda: None, folder=tmp_path).pending() == _document(), "the file was never saved after it"
    (tmp_path / "talk.chainrule").write_text("saved later")
    later = Autosaver(lambda: None, folder=tmp_path)
    assert later.pending() is None and not saver.path.exists()
    (kept,) = tmp_path.glob("autosave-*.chainrule")
    assert load_document(kept) == _document() and str(kept) in later.notice and not later.unreadable


@pytest.mark.parametrize("trouble", ["snapshot raises", "folder is a file", "would not reopen", "disk full"])
def test_autosave_never_raises(qtbot, tmp_path, monkeypatch, trouble):
    folder = tmp_path / "recovery"
    snapshot = _document
    if trouble == "snapshot raises":
        def snapshot():
            raise RuntimeError("a bug in a view")
    elif trouble == "folder is a file":
        folder.write_text("")
    elif trouble == "would not reopen":
        def snapshot():
            doc = _document()
            doc.views["explorer"].expression = "f = q * "
            return doc
    else:
        def full(fd, data):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(os, "write", full)
    saver = Autosaver(snapshot, folder=folder)
    messages = []
    saver.failed.connect(messages.append)
    assert saver.save_now() is False
    assert len(messages) == 1 and messages[0].startswith("Autosave failed")
    assert saver._timer.isActive()
    assert not list(tmp_path.rglob("*.tmp"))
