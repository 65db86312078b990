"""The training lab tab: opens from the main window, draws every view in every theme, plays,
pauses, steps, resets, stops on close, pauses on a NaN, one click per scenario, CNN cells explained."""
import threading

import numpy as np
import pytest
from PySide6.QtGui import QColor

from app.training_lab import TrainingLab
from engine.playground import SCENARIOS, DataSpec, DenseSpec, Experiment, TrainSpec
from viewmodel.jobs import running_jobs
from widgets.theme import THEMES

XOR_NET = Experiment(DataSpec("xor", n=200), DenseSpec(hidden=(8, 8)), TrainSpec("Adam", {"lr": 0.03}))


@pytest.fixture
def lab(qtbot):
    lab = TrainingLab()
    qtbot.addWidget(lab)
    lab.resize(1024, 768)
    lab.show()
    yield lab
    lab.shutdown()


def own_network(lab):
    lab.state.scenario = None
    assert lab.state.set_experiment(XOR_NET)


def test_the_lab_opens_from_the_main_window(qtbot):
    from app.main_window import MainWindow
    window = MainWindow()
    qtbot.addWidget(window)
    page = window.page("training")
    assert isinstance(page, TrainingLab) and window.current_kind() == "training"
    window.close()


@pytest.mark.parametrize("theme", list(THEMES))
def test_every_view_draws_its_arrays_readably_in_every_theme(lab, theme):
    own_network(lab)
    lab.set_theme(THEMES[theme])
    lab.step_once()
    lab.finish_training()
    assert lab.boundary.image_shape() == (100, 100, 3)
    assert [len(c) for c in lab.diagram.thumbnails] == [2, 8, 8, 1]
    assert lab.diagram.thumbnails[1][0].image.shape == (25, 25, 3)
    assert len(lab.gradients.last_norms()) == 3 and np.all(lab.gradients.last_norms() > 0)
    assert len(lab.histograms._items) == 2
    background = QColor(THEMES[theme].background)
    for plot in (lab.boundary, lab.diagram, lab.gradients, lab.histograms):
        assert plot.backgroundBrush().color() == background
        assert plot.getPlotItem().titleLabel.opts.get("color") in (None, THEMES[theme].text)
    image = lab.grab().toImage()
    assert image.width() <= 1024 + 40 and not image.isNull()


def test_play_pause_step_and_reset_from_the_buttons(lab, qtbot):
    own_network(lab)
    start = [p.data.copy() for p in lab.state.trainer.model.parameters()]
    lab.speed_box.setCurrentText("as fast as possible")
    lab.play_button.click()
    assert lab.play_button.text() == "Pause" and not lab.play_button.icon().isNull() and not lab.step_button.isEnabled()
    qtbot.waitUntil(lambda: lab.state.frame.round >= 5, timeout=30_000)  # (a loaded machine)
    lab.play_button.click()
    assert not lab.state.running and lab.play_button.text() == "▶ Play" and lab.play_button.icon().isNull() \
        and not running_jobs()
    rounds = lab.state.rounds
    lab.step_button.click()
    lab.finish_training()
    assert lab.state.rounds == rounds + 1 and lab.position.text() == f"step {rounds + 1}"
    lab.reset_button.click()
    assert lab.state.rounds == 0
    assert all(np.array_equal(a, p.data) for a, p in zip(start, lab.state.trainer.model.parameters()))


def test_closing_stops_training_and_leaves_no_thread(lab, qtbot):
    own_network(lab)
    lab.state.speed = None
    lab.toggle_play()
    job = lab.state.job
    qtbot.waitUntil(lambda: lab.state.rounds > 2, timeout=10_000)
    lab.close()
    assert job.cancelled and job.wait(2.0)
    assert not [t for t in threading.enumerate() if t.name == "job: training lab"]


def test_a_nan_pauses_and_the_status_names_the_layer_and_step(lab, qtbot):
    lab.scenario_buttons["exploding"].click()
    lab.state.speed = None
    lab.toggle_play()
    qtbot.waitUntil(lambda: not lab.state.running, timeout=10_000)
    text = lab.status.text()
    assert text.startswith("Paused at a non-finite value: training step") and "weights N(0, 1)" in text
    assert "layer" in text and lab.theme.error.lower() in lab.status.styleSheet().lower()


def test_every_scenario_is_one_click(lab):
    for sid, scenario in SCENARIOS.items():
        lab.scenario_buttons[sid].click()
        assert lab.state.scenario.id == sid and lab.scenario_buttons[sid].isChecked()
        assert [lab.variant_box.itemText(i) for i in range(lab.variant_box.count())] == \
            [v.label for v in scenario.variants]
        assert lab.center.currentWidget() is (lab._conv_pane if sid == "cnn-digits" else lab._dense_pane)
        assert sid in lab.status.text() or scenario.title in lab.status.text()


def test_hovering_the_diagram_gives_formulas_and_weights(lab):
    own_network(lab)
    y = lab.diagram.positions[1][0, 1]
    assert lab.diagram.text_at(1.0, y).startswith("a⁽¹⁾₁ = tanh(")
    y_in, y_out = lab.diagram.positions[0][0, 1], lab.diagram.positions[1][0, 1]
    assert lab.diagram.text_at(0.5, (y_in + y_out) / 2).startswith("w⁽¹⁾₁,₁ = ")


def test_two_wide_layers_draw_no_edges_but_say_so_and_stay_quick(lab):
    """Found by the monkey (seed 1): two 4096-unit layers (16.8M weights) froze the window for
    minutes listing every edge; past MAX_EDGES weights the diagram draws none and says why."""
    import time
    from widgets.network_diagram import MAX_EDGES
    own_network(lab)
    start = time.monotonic()
    lab.builder.rows[0].width_box.setValue(4096)
    lab.builder.rows[1].width_box.setValue(4096)
    assert lab.state.experiment.network.hidden == (4096, 4096) and 4096 * 4096 > MAX_EDGES
    assert len(lab.diagram._ends) == 0 and not lab.diagram.edges._paths
    assert any("too many edges to draw" in label.textItem.toPlainText() for label in lab.diagram.labels)
    y_in, y_out = lab.diagram.positions[0][0, 1], lab.diagram.positions[1][0, 1]
    assert lab.diagram.text_at(0.5, (y_in + y_out) / 2).startswith("w⁽¹⁾"), "hovering still shows a weight"
    assert time.monotonic() - start < 60  # (minutes before; seconds on a slow 2-core machine now)
    lab.builder.rows[0].width_box.setValue(100)
    lab.builder.rows[1].width_box.setValue(8)
    assert len(lab.diagram._ends) == 2 * 100 + 100 * 8 + 8 and lab.diagram.edges._paths
    assert not any("too many edges" in label.textItem.toPlainText() for label in lab.diagram.labels)


def test_the_builder_edits_the_network_without_a_cap(lab):
    own_network(lab)
    lab.builder.rows[0].width_box.setValue(200)
    assert lab.state.experiment.network.hidden == (200, 8)
    lab.builder.rows[1].activation.setCurrentText("relu")
    assert lab.state.experiment.network.activations() == ("tanh", "relu")
    lab.builder.batch_norm.setChecked(True)
    assert lab.state.experiment.network.batch_norm and lab.state.rounds == 0
    lab.builder.hyper_boxes["lr"].setValue(0.1)
    assert lab.state.trainer.experiment.training.hyperparams["lr"] == pytest.approx(0.1)


def test_clicking_a_feature_map_cell_shows_its_products(lab):
    lab.scenario_buttons["cnn-digits"].click()
    rect, stage, channel, shape = lab.maps.cells[0]
    assert shape == (8, 8) and len(lab.maps.cells) == 24
    cell = lab.maps.cell_at(rect.left() + 2.5 * rect.width() / 8, rect.top() + 1.5 * rect.height() / 8)
    assert cell == (stage, 0, 1, 2)
    lab.explain(*cell)
    e = lab.explanation.explanation
    assert e.kind == "convolution" and e.products.shape == (1, 3, 3)
    assert np.allclose(e.products, e.window * e.kernel) and "(bias)" in lab.explanation_text.text()


def test_a_cnn_without_a_test_set_shows_a_training_image(lab):
    """Found by the 20,000-action monkey (seed 3): test fraction 0 on the digits left no test
    image, and every refresh raised IndexError."""
    lab.scenario_buttons["cnn-digits"].click()
    lab.builder.test_fraction.setValue(0.0)
    trainer = lab.state.trainer
    assert len(trainer.test_data) == 0 and lab.state.frame.image.shape == trainer.train_data.X[0].shape
    lab.state.set_image(5)
    assert np.array_equal(lab.state.frame.image, trainer.train_data.X[5])
    assert lab.state.explain(0, 0, 1, 2).kind == "convolution"


def test_the_training_lesson_plays_in_presenter_mode(qtbot):
    from PySide6.QtCore import Qt

    from app.lecture.lessons import builtin_lesson
    from app.lecture.presenter import PresenterWindow
    window = PresenterWindow(builtin_lesson("training"))
    qtbot.addWidget(window)
    window.resize(1024, 768)
    window.show()
    window.host.wait_ready()
    lab = window.host.adapter.page
    assert window.host.step() == 0 and lab.state.scenario.id == "xor-linear"
    assert not lab.play_button.isVisible() and not lab._builder_scroll.isVisible() and lab.boundary.isVisible()
    for _ in range(3):
        qtbot.keyClick(window, Qt.Key_Right)
    window.host.wait_ready()
    assert window.host.step() == 3 and lab.state.rounds == 3 and lab.state.trainer.steps_done == 3
    qtbot.keyClick(window, Qt.Key_Left)
    window.host.wait_ready()
    assert lab.state.rounds == 2  # back: the same seeded start, trained to step 2
    window.close()


@pytest.mark.parametrize("y_shape", [(20,), (20, 1)], ids=["1-D targets", "a column"])
def test_regression_points_take_one_colour_each_whatever_the_targets_shape(qtbot, y_shape):
    """Found by the monkey: 1-D regression targets on two features made one (1, n, 3) row of colours,
    and pyqtgraph's mkBrush raised a TypeError out of the boundary's draw."""
    import types

    from widgets.decision_boundary import DecisionBoundaryView
    view = DecisionBoundaryView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), rng.normal(size=y_shape)
    view._draw_points(types.SimpleNamespace(train=(X, y), test=(X[:5], y[:5]), task="regression"), one_d=False)
    brushes = [spot.brush() for spot in view.train_points.points()]
    assert len(brushes) == 20 and len({b.color().name() for b in brushes}) > 1
