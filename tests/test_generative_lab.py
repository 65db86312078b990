"""The generative lab: its Qt-free state, its three views drawing the right arrays, live training
that cancels cleanly, user-drawn GAN targets, and the lessons' scenes (small models, few steps)."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.generative_lab import GenerativeLab
from app.lecture.lessons import builtin_lesson
from app.lecture.scenes import SceneHost, check_scene
from engine.generative.gan import GANConfig
from engine.generative.rbm import DBNTrainer
from engine.generative.scenarios import SCENARIOS
from engine.generative.seq2seq import Seq2SeqConfig
from viewmodel.generative_lab import (CHECKPOINTS, GANLab, RBMLab, Seq2SeqLab, checkpoints, lab_for,
                                      mosaic)
from app.lifecycle import JOB_TIMEOUT_S
from viewmodel.jobs import cancel_all, running_jobs
from widgets.theme import PRESENTER, THEMES

SMALL_SEQ = Seq2SeqConfig(hidden_size=8, embedding_dim=4, attention_size=4, batch_size=4)
SMALL_GAN = GANConfig(generator_hidden=(8,), discriminator_hidden=(8,), batch_size=16)
LESSONS = ("seq2seq", "gan", "rbm")


def run(lab, steps: int, action: str = "round"):
    """Train on this thread through the lab's job, as the GUI would on a thread."""
    job = lab.training_job(steps, action)
    outcome = job.run()
    lab.apply(job.take().posted)
    lab.training_ended()
    return outcome


def no_job_threads() -> bool:
    """True when every job stops within the app's shutdown budget and leaves no thread behind."""
    if cancel_all(JOB_TIMEOUT_S):
        return False
    threads = [t for t in threading.enumerate() if t.name.startswith("job: ")]
    for thread in threads:
        thread.join(1.0)
    return not running_jobs() and not any(t.is_alive() for t in threads)


# -- the view model, without Qt ------------------------------------------------------------------
def test_checkpoints_and_mosaic():
    assert checkpoints(0, 25) == [3, 5, 8, 10, 13, 15, 18, 20, 23, 25]
    assert checkpoints(7, 3) == [8, 9, 10]  # fewer steps than checkpoints: each step once
    tiles = mosaic(np.ones((5, 2, 3)), columns=3)
    assert tiles.shape == (2 * 3 - 1, 3 * 4 - 1)
    assert np.isnan(tiles[2]).all() and np.isnan(tiles[:, 3]).all()  # the gaps between tiles
    assert np.isnan(tiles[3:, 8:]).all()  # the missing sixth tile stays empty


@pytest.mark.parametrize("lab", [lambda: Seq2SeqLab(SMALL_SEQ), lambda: GANLab(SMALL_GAN), lambda: RBMLab()],
                         ids=["seq2seq", "gan", "rbm"])
def test_a_run_keeps_curves_and_one_snapshot_per_tenth(lab):
    lab = lab()
    changes = []
    lab.events.curves.connect(lambda curves: changes.append(len(next(iter(curves.values())))))
    assert run(lab, 20).status == "done"
    assert [s.step for s in lab.snapshots] == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    assert all(len(v) == 20 and np.all(np.isfinite(v)) for v in lab.curves.values())
    assert changes and changes[-1] == 20 and not lab.busy
    assert lab.snapshot(99).step == 20 and lab.snapshot(-5).step == 0


def test_the_same_settings_give_the_same_run():
    a, b = GANLab(SMALL_GAN), GANLab(SMALL_GAN)
    run(a, 5), run(b, 5)
    assert a.curves == b.curves
    np.testing.assert_array_equal(a.picture.fake, b.picture.fake)


def test_seq2seq_compares_with_and_without_attention_and_refuses_bad_inputs():
    lab = Seq2SeqLab(SMALL_SEQ)
    assert lab.labels == ["dot attention", "no attention"]
    assert [t.config.attention for t in lab.trainers] == ["dot", "none"]
    assert list(lab.curves) == ["loss (dot attention)", "loss (no attention)"]
    picture = lab.picture
    assert picture.decoding.attention.shape == (len(picture.decoding.output_tokens), len(lab.example))
    assert picture.comparison.attention is None and picture.target == lab.example[::-1]
    assert not lab.set_example("12a") and "Not an input of this task" in lab.status
    assert not lab.set_example("") and "empty" in lab.status and lab.example  # (found by the monkey)
    assert lab.set_example("321") and lab.picture.decoding.source == "321"
    lab.configure(attention="none")
    assert lab.labels == ["no attention", "dot attention"]
    lab.set_compare(False)
    assert len(lab.trainers) == 1 and lab.picture.comparison is None


def test_gan_steps_d_and_g_alone_and_user_drawn_points():
    lab = GANLab(SMALL_GAN)
    run(lab, 2, "d"), run(lab, 3, "g")
    d, g = lab.curves["D loss"], lab.curves["G loss"]
    assert np.isfinite(d[:2]).all() and np.isnan(d[2:]).all() and np.isnan(g[:2]).all() and np.isfinite(g[2:]).all()
    lab.configure(target="points")
    assert lab.trainers == [] and lab.picture is None
    with pytest.raises(ValueError, match="Click on the plot"):
        lab.training_job(1)
    lab.add_point(1.0, 1.0)
    lab.add_point(-1.5, 0.5)
    assert lab.config.target == "points" and lab.config.points == ((1.0, 1.0), (-1.5, 0.5))
    real = lab.picture.real
    nearest = np.min(np.linalg.norm(real[:, None] - np.array(lab.config.points)[None], axis=2), axis=1)
    assert nearest.max() < 0.4  # every real sample is a drawn point, jittered
    run(lab, 3)
    lab.clear_points()
    assert lab.trainers == [] and lab.points == []


def test_the_twice_scenario_shows_inputs_longer_than_any_it_trained_on():
    lab = Seq2SeqLab()
    trained = lab.trainers[0].task.length
    lab.load_scenario("seq2seq-attention-twice")
    assert trained < len(lab.example) <= 2 * trained
    lab.next_example()
    assert trained < len(lab.example) <= 2 * trained
    lab.configure(cell="lstm")  # leaving the scenario: examples at the training length again
    assert len(lab.example) <= trained
    lab.next_example()
    assert len(lab.example) <= trained


def test_scenarios_load_into_their_lab():
    assert {lab_for(s) for s in SCENARIOS} == {"seq2seq", "gan", "rbm"}
    lab = RBMLab()
    lab.load_scenario("dbn-bars")
    assert isinstance(lab.trainers[0], DBNTrainer) and lab.picture.filters.shape == (16, 4, 4)
    assert lab.status == SCENARIOS["dbn-bars"].caption
    with pytest.raises(KeyError, match="is a gan scenario"):
        lab.load_scenario("gan-ring")
    lab.configure(dbn=False, data="digits", n_hidden=12)
    assert lab.scenario is None and lab.picture.filters.shape == (12, 8, 8)
    assert lab.picture.inputs.shape == lab.picture.reconstructions.shape == (8, 8, 8)
    assert len(lab.picture.chain) == 21 and lab.picture.chain[-1].v_prob.shape == (8, 8, 8)


# -- the Qt views ------------------------------------------------------------------------------
@pytest.fixture
def lab(qtbot):
    page = GenerativeLab(theme=THEMES["dark"])
    qtbot.addWidget(page)
    page.resize(1024, 768)
    page.show()
    page.panels["seq2seq"].lab.config = SMALL_SEQ
    page.panels["seq2seq"].reset()
    page.panels["gan"].lab.config = SMALL_GAN
    page.panels["gan"].reset()
    yield page
    page.shutdown()


def test_views_draw_the_pictures_arrays(lab):
    seq = lab.panel("seq2seq")
    d = seq.lab.picture.decoding
    assert seq.view.attention_image.image.shape == (len(d.output_tokens), len(d.source_tokens))
    assert seq.view.encoder_image.image.shape == (len(d.source_tokens), SMALL_SEQ.hidden_size)
    seq.view.set_output_step(1)
    assert np.allclose(seq.view.bars.opts["height"], d.top_probs[1])
    gan = lab.panel("gan")
    frame = gan.lab.picture
    assert gan.view.heat.image.shape == frame.heat.shape + (4,)
    assert len(gan.view.fake.data) == len(frame.fake) == 256
    x, _ = gan.view.arrows.getData()
    assert len(x) == 2 * len(frame.fake)
    x, _ = gan.view.grid.getData()
    assert len(x) == frame.grid_lines.shape[0] * (frame.grid_lines.shape[1] + 1)
    rbm = lab.panel("rbm")
    assert rbm.view.filters_image.image.shape == (4 * 5 - 1, 4 * 5 - 1)  # 16 filters of 4×4, 4 a row
    assert rbm.view.recon_image.image.shape == (2 * 5 - 1, 8 * 5 - 1)  # 8 inputs over 8 reconstructions
    assert rbm.view.gibbs_step == 20
    rbm.view.set_gibbs_step(0)
    np.testing.assert_array_equal(np.nan_to_num(rbm.view.gibbs_image.image[:4, :4]),
                                  rbm.lab.picture.chain[0].v[0])


@pytest.mark.parametrize("theme", ["light", "presenter"])
def test_every_theme_fits_1024_pixels(lab, theme):
    lab.set_theme(THEMES[theme])
    for model, panel in lab.panels.items():
        assert panel.minimumSizeHint().width() <= 1024, model


@pytest.mark.parametrize("model", LESSONS)
def test_each_model_trains_live_then_cancels_cleanly(lab, qtbot, model):
    panel = lab.panel(model)
    assert panel.start_training(4)
    qtbot.waitUntil(lambda: not panel.is_training, timeout=20000)
    assert panel.lab.steps_done == 4 and panel.progress.value() == 4
    curve = next(iter(panel.view.curves.items.values())) if model != "rbm" else \
        next(iter(panel.view.error_curves.items.values()))
    assert len(curve.getData()[0]) == 4
    assert panel.start_training(100000)
    qtbot.waitUntil(lambda: panel.lab.steps_done > 4, timeout=20000)
    assert not panel.start_training(5)  # one job at a time
    panel.cancel_training()
    assert not panel.is_training and not panel.lab.busy and panel.train_button.isEnabled()
    assert no_job_threads()


def test_closing_the_lab_stops_its_training(qtbot):
    page = GenerativeLab()
    qtbot.addWidget(page)
    page.panels["rbm"].start_training(100000)
    page.close()
    assert not page.is_training and no_job_threads()


def test_clicking_the_gan_map_draws_target_points(lab, qtbot):
    gan = lab.panel("gan")
    qtbot.waitExposed(lab)
    gan.change(target="points")
    assert "Click on the plot" in gan.status.text()
    view = gan.view.map
    vb = view.getPlotItem().vb
    where = view.mapFromScene(vb.mapViewToScene(QPointF(1.0, -1.0)))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=QPoint(where.x(), where.y()))
    assert len(gan.lab.points) == 1
    x, y = gan.lab.points[0]
    assert abs(x - 1.0) < 0.1 and abs(y + 1.0) < 0.1
    assert gan.lab.config.target == "points" and len(gan.lab.trainers) == 1
    assert gan.target_box.currentData() == "points" and "1 points drawn" in gan.status.text()


# -- lessons -----------------------------------------------------------------------------------
def test_the_lessons_name_real_scenarios_and_open_at_every_step(qtbot):
    host = SceneHost(PRESENTER)
    qtbot.addWidget(host)
    host.resize(1024, 700)
    for lesson_id in LESSONS:
        lesson = builtin_lesson(lesson_id)
        assert lesson.scenes
        for number, scene in enumerate(lesson.scenes, 1):
            check_scene(scene)
            assert scene.view == "generative" and scene.caption, f"{lesson_id} scene {number}"
            first = scene.__class__(**{**scene.__dict__, "step": 0})
            host.show_scene(first)  # starts the scenario's training; step 0 is the untrained picture
            assert host.step() == 0 and host.step_count() == CHECKPOINTS + 1
            image = host.picture().grab().toImage()
            assert not image.isNull() and image.width() > 0
    host.shutdown()
    assert no_job_threads()


def test_a_scene_trains_its_scenario_and_shows_the_last_snapshot(qtbot):
    host = SceneHost(PRESENTER)
    qtbot.addWidget(host)
    scene = builtin_lesson("rbm").scenes[1]
    assert scene.preset == "rbm-bars" and scene.step == -1
    host.show_scene(scene)
    host.wait_ready(60)
    page = host.adapter.page
    assert host.step() == CHECKPOINTS and page.current.lab.snapshots[-1].step == SCENARIOS["rbm-bars"].steps
    assert host.adapter.capture().preset == "rbm-bars"
    errors = page.current.lab.curves["reconstruction error"]
    assert np.mean(errors[-50:]) < 0.5 * np.mean(errors[:50])  # the caption: the error falls
    host.set_step(0)
    assert page.current.view.picture is page.current.lab.snapshots[0].picture
    host.show_scene(scene)  # the same scenario again: kept, not retrained
    assert page.current.lab.steps_done == SCENARIOS["rbm-bars"].steps and host.ready()
    host.shutdown()


def test_the_unrolled_encoder_decoder_opens_in_the_explorer(lab):
    from viewmodel.explorer_state import ExplorerState
    explorer = ExplorerState()
    shown = []
    lab.attach_explorer(explorer, lambda: shown.append(True))
    seq = lab.panel("seq2seq")
    seq.lab.set_example("12")
    assert seq.show_unrolled() and shown
    assert explorer.graph is not None and explorer.graph.nodes[-1].name == "L"
    assert explorer.collapsed == {g.name for g in explorer.groups} and len(explorer.groups) > 4
    assert len(explorer.view) < len(explorer.graph)  # cells drawn as boxes
