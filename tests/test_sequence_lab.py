"""The sequence lab's widgets draw the engine's arrays; training runs in a thread that cancels cleanly."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF

from app.sequence_lab import PRESETS, SequenceLab
from widgets.gate_heatmaps import LABELS, GateHeatmaps, label_stride, visible_labels
from widgets.gradient_through_time import CEILING, FLOOR, GradientThroughTime, surviving_fraction

pytestmark = pytest.mark.gui


def _lstm_gates(t=7, h=3, seed=0):
    rng = np.random.default_rng(seed)
    gates = {k: rng.random((t, h)) for k in "ifo"}
    gates.update({k: rng.uniform(-1, 1, (t, h)) for k in "gh"})
    gates["c"] = rng.uniform(-3, 3, (t, h))
    return gates


def test_gate_heatmaps_draw_one_image_per_lstm_quantity(qtbot):
    view = GateHeatmaps()
    qtbot.addWidget(view)
    gates = _lstm_gates()
    view.set_trace(gates, list("0110100"))
    assert set(view.images) == set("ifogch")
    for key, image in view.images.items():
        assert image.image.shape == (7, 3)
        symbol = LABELS[key].split()[-1].split("_")[0].replace("'", "&prime;")
        assert f"<i>{symbol}</i>" in view.plots[key].titleLabel.text
    assert view.images["f"].getLevels() == pytest.approx((0, 1))
    assert view.images["c"].getLevels()[1] == pytest.approx(np.abs(gates["c"]).max())
    text = view.describe("f", 2, 1)
    assert "forget gate f_t" in text and f"{gates['f'][2, 1]:.4f}" in text


def test_gru_trace_switches_to_four_panels(qtbot):
    view = GateHeatmaps()
    qtbot.addWidget(view)
    view.set_trace(_lstm_gates())
    rng = np.random.default_rng(1)
    view.set_trace({k: rng.random((5, 2)) for k in "rznh"})
    assert set(view.images) == set("rznh")
    assert view.images["z"].image.shape == (5, 2)


def test_time_cursor_clamps_emits_and_hover_finds_the_cell(qtbot):
    view = GateHeatmaps()
    qtbot.addWidget(view)
    view.resize(600, 500)
    view.show()
    view.set_trace(_lstm_gates(), list("abcdefg"))
    with qtbot.waitSignal(view.time_changed) as signal:
        view.set_time(99)
    assert signal.args == [6] and view.time == 6
    qtbot.wait(10)
    plot = view.plots["o"]
    scene_pos = plot.vb.mapViewToScene(QPointF(4, 2))
    assert view.cell_at(scene_pos) == ("o", 4, 2)
    view._on_mouse_moved(scene_pos)
    assert view.readout.text() == view.describe("o", 4, 2)


def test_input_labels_are_thinned_so_they_cannot_overlap():
    assert label_stride(list("abcd"), 400, 10) == 1
    assert label_stride(["0.5*"] * 40, 300, 10) == 7
    assert visible_labels(list("abcd"), 400, 10) == [0, 1, 2, 3]
    marked = ["0.5"] * 30
    marked[3], marked[4], marked[20] = "0.1*", "0.9*", "0.7*"
    shown = visible_labels(marked, 300, 10)
    assert {3, 20} <= set(shown) and 4 not in shown  # neighbours of a marked step give way
    gaps_px = [(b - a) * 10 for a, b in zip(shown, shown[1:])]
    needed_px = [(len(marked[a]) + len(marked[b]) + 2) * 10 / 2 for a, b in zip(shown, shown[1:])]
    assert all(g >= n for g, n in zip(gaps_px, needed_px)) and len(shown) >= 6


def test_gradient_plot_shows_the_surviving_fraction_on_a_log_axis(qtbot):
    view = GradientThroughTime()
    qtbot.addWidget(view)
    view.set_norms("lstm", np.array([0.5, 1.0, 2.0]), np.array([1.0, 1.0, 1.0]))
    view.set_norms("rnn", np.array([0.0, np.inf, 4.0]))
    x, y = view.curves[("lstm", "h")].getOriginalDataset()
    assert list(x) == [0, 1, 2] and np.allclose(y, [0.25, 0.5, 1.0])
    assert ("lstm", "c") in view.curves and ("rnn", "c") not in view.curves
    np.testing.assert_allclose(surviving_fraction(np.array([0.0, np.inf, 4.0])), [FLOOR, CEILING, 1.0])
    with qtbot.waitSignal(view.rnn_settings_changed) as signal:
        view.activation.setCurrentText("relu")
    assert signal.args == [1.0, "relu"]


@pytest.fixture
def lab(qtbot):
    widget = SequenceLab()
    qtbot.addWidget(widget)
    yield widget
    widget.cancel_training()


def test_lab_builds_with_no_arguments_and_loads_every_preset(lab):
    assert lab.presets() == list(PRESETS)
    for name in lab.presets():
        lab.load_preset(name)
        preset = PRESETS[name]
        assert (lab.task.name, lab.task.length) == (preset.task, preset.length)
        assert lab.config.rnn_scale == preset.rnn_scale
        assert lab.heatmaps.images[next(iter(lab.heatmaps.images))].image.shape[0] == preset.length
        assert lab.gradients.curves[("rnn", "h")].getData()[0].shape == (preset.length,)


def test_training_in_the_thread_updates_every_view(lab, qtbot):
    lab.load_preset("Remember the first bit (T = 20)")
    lab.steps_box.setValue(12)
    lab.start_training()
    assert lab.is_training and not lab.train_button.isEnabled()
    qtbot.waitUntil(lambda: not lab.is_training, timeout=30000)
    assert lab.progress.value() == 12
    assert all(len(lab.curves[c]) == 12 for c in ("rnn", "lstm", "gru"))
    assert set(lab.latest_traces) == {"lstm", "gru"}
    assert lab.heatmaps.images["f"].image.shape == (20, lab.config.hidden_size)
    assert lab.train_button.isEnabled()


def test_cancel_leaves_no_thread_running(lab, qtbot):
    from viewmodel.jobs import running_jobs
    lab.steps_box.setValue(5000)
    lab.start_training()
    job = lab._job.job
    qtbot.waitUntil(lambda: lab.progress.value() > 0, timeout=30000)
    lab.cancel_training()
    assert not job.running and job.finished and job.outcome.status == "cancelled"
    assert job not in running_jobs() and not job._thread.is_alive()
    assert not lab.is_training and lab.progress.value() < 5000
    assert lab.trainers["lstm"].steps_done < 5000


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_pauses_training_and_says_where(lab, qtbot):
    lab.trainers["lstm"].model.rnn.weight_hh.data[:] = np.nan
    lab.start_training()
    lab.finish_training()
    assert not lab.is_training and lab.train_button.isEnabled()
    assert "Paused: training step 0, LSTM" in lab.status.text()
    assert "hidden state h_t at t = 0" in lab.status.text()


def test_rnn_controls_rebuild_only_the_plain_rnn(lab):
    lstm = lab.trainers["lstm"]
    before = lab.gradients.curves[("rnn", "h")].getData()[1].copy()
    lab.gradients.scale.setValue(0.25)
    assert lab.trainers["lstm"] is lstm and lab.config.rnn_scale == 0.25
    after = lab.gradients.curves[("rnn", "h")].getData()[1]
    assert after[0] < before[0]


def test_time_cursor_is_shared_and_exposed_for_the_graph_explorer(lab, qtbot):
    with qtbot.waitSignal(lab.time_changed) as signal:
        lab.set_time(4)
    assert signal.args == [4] and lab.gradients.cursor.value() == 4
    lab.step_controls.step_requested.emit(1)
    assert lab.heatmaps.time == 5


@pytest.mark.parametrize("cell, nodes", [("rnn", "h3"), ("lstm", "c3")])
def test_unrolled_network_opens_in_the_main_windows_graph_explorer(qtbot, cell, nodes):
    from app.main_window import MainWindow
    window = MainWindow()
    qtbot.addWidget(window)
    index = next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "Sequence lab")
    window.tabs.setCurrentIndex(index)
    lab = window.tabs.widget(index)
    assert isinstance(lab, SequenceLab) and lab.show_unrolled(cell)
    assert window.tabs.currentWidget() is window.explorer
    names = {n.name for n in window.explorer.state.graph.nodes}
    assert {"L", "h0", "x1", nodes} <= names
    lab.cancel_training()


def test_unroll_outside_the_main_window_says_where_it_would_open(lab):
    assert not lab.show_unrolled("rnn")
    assert "graph explorer" in lab.status.text()


def test_time_cursor_follows_the_unrolled_graph_and_leads_it(qtbot):
    from app.main_window import MainWindow
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    index = next(i for i in range(window.tabs.count()) if window.tabs.tabText(i) == "Sequence lab")
    window.tabs.setCurrentIndex(index)
    lab, explorer = window.tabs.widget(index), window.explorer.state
    assert lab.show_unrolled("lstm") and lab.show_unrolled("lstm")  # twice: still connected once
    names = [n.name for n in explorer.graph.nodes]
    for name, t in (("c2", 1), ("h3", 2), ("f1", 0)):
        calls = []
        explorer.events.time_step.connect(calls.append)
        while explorer.display.current != names.index(name):
            explorer.step(1)
        explorer.events.time_step.disconnect(calls.append)
        assert lab.heatmaps.time == t and calls[-1] == t + 1
        assert explorer.selected is None  # following the animation pins nothing
    position = explorer.position
    lab.set_time(2)
    assert explorer.position == position and lab.heatmaps.time == 2
    chosen = explorer.selected
    assert explorer.time_steps[chosen] == 3 and explorer.graph.nodes[chosen].prim is not None
    canvas = window.explorer.canvas
    node = canvas.mapFromScene(canvas.node_centre(chosen))  # (or the box it is collapsed into)
    centre = canvas.viewport().rect().center()
    assert abs(node.x() - centre.x()) <= 2 and abs(node.y() - centre.y()) <= 2
    explorer.load_example("add-mul")
    lab.set_time(1)  # another graph: the cursor no longer reaches into it
    assert explorer.selected is None and explorer.time_steps is None
    lab.cancel_training()


def test_presenting_hides_the_editing_controls_and_brings_them_back(lab):
    g = lab.gradients
    editing = (lab.preset_box, lab.task_box, lab.length_box, lab.steps_box, lab.train_button,
               lab.cancel_button, lab.reset_button, lab.progress, lab.description, lab.gate_cell_box,
               lab.example_button, lab.unroll_button, lab.step_controls, lab.learning, g.controls)
    title = g.plot.titleLabel.text
    lab.set_presenting(True)
    assert not any(w.isVisibleTo(lab) for w in editing)
    assert all(w.isVisibleTo(lab) for w in (lab.heatmaps, g.plot_widget, g.legend))
    assert len(g.plot.titleLabel.text) < len(title)  # shorter, to fit a narrow pane at presenter fonts
    lab.set_presenting(False)
    assert all(w.isVisibleTo(lab) for w in editing)
    assert g.plot.titleLabel.text == title


def test_the_long_first_bit_preset_trains_as_its_note_says():
    """T = 40, seeded: trained, the LSTM and the GRU learn the first bit while the plain RNN stays at chance."""
    from dataclasses import replace

    from engine.sequence_tasks import make_task
    from engine.sequence_training import CELLS, SequenceTrainer, TrainConfig, train_side_by_side
    preset = PRESETS["Remember the first bit, long (T = 40)"]
    assert "LSTM and GRU learn the task while the plain RNN stays at chance" in preset.note
    task, config = make_task(preset.task, preset.length), replace(TrainConfig(), seed=preset.seed)
    trainers = [SequenceTrainer(task, cell, config) for cell in CELLS]
    rounds = []
    train_side_by_side(trainers, preset.steps, rounds.append, lambda: False)
    accuracy = {cell: np.mean([r[k].accuracy for r in rounds[-30:]]) for k, cell in enumerate(CELLS)}
    assert accuracy["lstm"] > 0.9 and accuracy["gru"] > 0.9 and accuracy["rnn"] < 0.7, accuracy
