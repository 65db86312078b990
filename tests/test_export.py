"""Export: the CLI writes PNG/SVG/GIF/MP4 that decode to the right size and frame count; cancel cleans up."""
import xml.etree.ElementTree as ET

import imageio.v3 as iio
import pytest
from PySide6.QtWidgets import QPushButton

from app.cli import main
from app.lecture.export import AnimationJob, ExportError, export_animation
from app.lecture.lessons import builtin_lesson
from app.lecture.scenes import SceneHost

ADD_MUL_POSITIONS = 11  # 5 forward + 5 backward steps, plus the empty start
FIRST_STORY = 6  # chain-rule scene 1 runs from step 0 to its until, 5


def _export(qapp, tmp_path, name, *extra):
    out = tmp_path / name
    assert main(["export", "chain-rule", "--out", str(out), "--size", "400x300", *extra]) == 0
    return out


def test_png_at_slide_scale(qapp, tmp_path):
    png = _export(qapp, tmp_path, "s.png", "--scene", "4")
    assert iio.imread(png).shape == (600, 800, 3), "PNG defaults to 2x for slides"
    png1 = _export(qapp, tmp_path, "s1.png", "--scene", "4", "--scale", "1")
    assert iio.imread(png1).shape == (300, 400, 3)


def test_svg_is_a_vector_picture_of_the_right_size(qapp, tmp_path):
    svg = _export(qapp, tmp_path, "s.svg", "--scene", "4")
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 400 300"
    tags = [el.tag.rsplit("}", 1)[-1] for el in root.iter()]
    assert "image" not in tags, "nodes, edges and text are SVG elements, not one embedded bitmap"
    assert tags.count("path") >= 5 and "text" in tags
    assert "Product rule" in "".join(el.text or "" for el in root.iter()), "the title is text"


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_animation_has_one_frame_per_step_of_the_scene_story(qapp, tmp_path, suffix):
    out = _export(qapp, tmp_path, "a" + suffix, "--scene", "1", "--fps", "8")
    frames = iio.imread(out, index=None)
    assert frames.shape == (FIRST_STORY, 300, 400, 3)


def test_a_later_scene_animates_its_own_story(qapp, tmp_path):
    scene = builtin_lesson("chain-rule").scenes[3]
    out = _export(qapp, tmp_path, "s4.gif", "--scene", "4")
    assert len(iio.imread(out, index=None)) == scene.until - scene.step + 1
    first = iio.imread(_export(qapp, tmp_path, "s4.png", "--scene", "4", "--scale", "1"))
    assert (iio.imread(out, index=0)[..., :3].astype(int) - first).__abs__().mean() < 8, "starts at its own step"


def test_frames_carry_title_and_caption_unless_turned_off(qapp, tmp_path):
    framed = iio.imread(_export(qapp, tmp_path, "c.png", "--scene", "4", "--scale", "1"))
    bare = iio.imread(_export(qapp, tmp_path, "b.png", "--scene", "4", "--scale", "1", "--no-captions"))
    assert framed.shape == bare.shape == (300, 400, 3)
    assert (framed != bare).any()


def test_every_view_exports_at_exactly_the_size_asked(qapp, tmp_path):
    out = tmp_path / "o.png"
    assert main(["export", "optimizers", "--scene", "1", "--out", str(out), "--size", "1280x720", "--scale", "1",
                 "--theme", "presenter"]) == 0
    assert iio.imread(out).shape == (720, 1280, 3)


def test_saved_file_and_lesson_json_are_sources_too(qapp, tmp_path):
    from app.lecture.storage import Document, save_document
    saved = tmp_path / "talk.chainrule"
    save_document(saved, Document(lesson=builtin_lesson("activations"), scene=1))
    out = tmp_path / "saved.png"
    assert main(["export", str(saved), "--out", str(out), "--size", "160x120", "--scale", "1"]) == 0
    assert iio.imread(out).shape == (120, 160, 3)


@pytest.mark.parametrize("argv, message", [
    (["export", "chain-rule", "--scene", "99", "--out", "x.png"], "--scene 99: chain-rule has scenes 1..8"),
    (["export", "no-such", "--out", "x.png"], "no built-in lesson 'no-such'"),
])
def test_bad_export_requests_fail_cleanly(qapp, tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_unknown_suffix_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["export", "chain-rule", "--out", "x.bmp"])
    assert "--out must end in .png, .svg, .gif, .mp4" in capsys.readouterr().err


def test_lessons_command_lists_id_scene_count_title(capsys):
    assert main(["lessons"]) == 0
    lines = capsys.readouterr().out.splitlines()
    first = lines[0].split(None, 2)
    assert first == ["chain-rule", str(len(builtin_lesson("chain-rule").scenes)),
                     "Computational graphs and the chain rule"]


def _host(qtbot):
    host = SceneHost()
    qtbot.addWidget(host)
    host.resize(160, 120)
    host.show()
    host.show_scene(builtin_lesson("chain-rule").scenes[0])
    return host


def test_closing_the_export_early_removes_the_partial_file(qtbot, tmp_path):
    host = _host(qtbot)
    out = tmp_path / "cut.gif"
    frames = export_animation(host, out)
    assert next(frames) == (1, ADD_MUL_POSITIONS)  # (the whole animation when no steps are given)
    frames.close()
    assert not out.exists()


def test_an_animation_keeps_its_first_frame_size_when_the_window_changes(qtbot, tmp_path):
    host = _host(qtbot)
    out = tmp_path / "resized.gif"
    frames = export_animation(host, out, steps=range(3))
    next(frames)
    host.resize(200, 150)  # the window changed size mid-export (imageio refused such a movie)
    for _ in frames:
        pass
    assert iio.imread(out).shape[:3] == (3, 120, 160)


def test_animations_need_an_animation_suffix_and_steps(qtbot, tmp_path):
    host = _host(qtbot)
    with pytest.raises(ExportError, match="animations are .gif or .mp4"):
        next(export_animation(host, tmp_path / "x.png"))
    host.step_count = lambda: 1
    with pytest.raises(ExportError, match="no steps to animate; export it as PNG or SVG"):
        next(export_animation(host, tmp_path / "x.gif"))
    assert not (tmp_path / "x.gif").exists()


def test_animation_job_reports_progress_and_can_be_cancelled(qtbot, tmp_path):
    host = _host(qtbot)
    job = AnimationJob(host, tmp_path / "done.mp4", frames_per_tick=4)
    with qtbot.waitSignal(job.finished, timeout=20_000) as done:
        job.start()
    outcome = done.args[0]
    assert outcome.status == "done" and (tmp_path / "done.mp4").exists()
    assert job.summary(outcome) == f"Exported {tmp_path / 'done.mp4'}"
    assert job.dialog.value() in (-1, ADD_MUL_POSITIONS)  # reset after the last frame

    job = AnimationJob(host, tmp_path / "cancelled.gif", frames_per_tick=1)
    seen = []
    job.progress.connect(lambda n, total, _text: seen.append(n) or (n == 2 and job.dialog.findChild(QPushButton).click()))
    with qtbot.waitSignal(job.finished, timeout=20_000) as done:
        job.start()
    assert seen == [1, 2]
    outcome = done.args[0]
    assert (outcome.status, job.summary(outcome)) == ("cancelled", "Export of cancelled.gif cancelled")
    assert not (tmp_path / "cancelled.gif").exists()


@pytest.mark.parametrize("name", ["no such folder/x.gif", "no such folder/x.png", "a folder.mp4"])
def test_exporting_from_the_window_where_nothing_can_be_written_is_one_message(qtbot, tmp_path, monkeypatch, name):
    """Found by the monkey (bench/monkey.py): a GIF into a missing folder failed inside the export job."""
    from PySide6.QtWidgets import QMessageBox

    from app.lecture.menus import install_lecture_mode
    from app.lecture.scenes import adapter_for
    from app.main_window import MainWindow
    from PySide6.QtCore import QSettings
    (tmp_path / "a folder.mp4").mkdir()
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    window = MainWindow()
    window.explorer.state.load_example("add-mul")
    mode = install_lecture_mode(window, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat), tmp_path / "r")
    assert mode.export(adapter_for("explorer", window.explorer), tmp_path / name) is None
    assert len(warnings) == 1 and warnings[0].startswith(f"cannot write {tmp_path / name}")
    window.close()
