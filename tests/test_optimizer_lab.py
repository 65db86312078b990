"""The optimizer lab offscreen: views draw what the engine computed, presets load, clicks restart."""
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from engine.surfaces import BEALE, SADDLE, run
from widgets.curves import Curve, LossCurvesView, series_style
from widgets.loss_surface import LossSurfaceView, Path

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture
def lab(qtbot):
    from app.optimizer_lab import OptimizerLab
    widget = OptimizerLab()
    qtbot.addWidget(widget)
    widget.resize(1024, 768)  # not shown: nothing is painted (see test_click_sets_start...)
    qtbot.waitUntil(lambda: widget.ready, timeout=30000)
    yield widget
    widget.shutdown()


def test_surface_view_draws_n_plus_one_points_per_optimizer(qtbot):
    view = LossSurfaceView()
    qtbot.addWidget(view)
    view.set_surface(SADDLE)
    paths = [Path("SGD", run("SGD", dict(lr=0.1), SADDLE, steps=30).points, 0),
             Path("L-BFGS", run("LBFGS", dict(line_search_fn="strong_wolfe"), SADDLE, steps=30).points, 8)]
    view.set_paths(paths)
    assert [view.drawn_points(p.label) for p in paths] == [1, 1]
    view.reveal(12)
    assert view.drawn_points("SGD") == 13
    lbfgs = paths[1].points  # runs off to -inf on the saddle: drawn up to where it left
    left = int(np.argmax(~np.all(np.isfinite(lbfgs), axis=1)))
    assert 0 < left < 12 and view.drawn_points("L-BFGS") == left


def test_curves_view_reveals_steps(qtbot):
    view = LossCurvesView()
    qtbot.addWidget(view)
    losses = run("Adam", dict(lr=0.1), BEALE, steps=20).losses
    view.set_curves([Curve("Adam", losses, 6)], log=True)
    view.reveal(7)
    assert view.drawn_points("Adam") == 8


def test_series_styles_differ_in_greyscale():
    styles = [series_style(i) for i in range(12)]
    assert len({(s.dash, s.marker) for s in styles}) == 12
    assert len({(s.color, s.dash) for s in styles}) == 12


def test_stepping_reveals_points(lab, qtbot):
    race = lab.race
    for _ in range(5):
        race.controls.next_button.click()
    assert race.step == 5
    for label in race.trajectories:
        assert race.map.drawn_points(label) == 6
        assert race.curves.drawn_points(label) == 6
    race.controls.end_button.click()
    assert race.step == race.steps
    race.controls.back_button.click()
    assert race.step == race.steps - 1


def test_all_together_has_eight_plus_racers(lab):
    lab.load_preset("all together: Beale")
    assert len(lab.race.panel.enabled()) >= 8


def test_every_preset_loads(lab, qtbot):
    for name in lab.presets():
        lab.load_preset(name)
        if lab.tabs.currentWidget() is lab.mlp:
            assert not lab.mlp.ready  # training runs in the background...
            lab.mlp.cancel()  # ...and can be cancelled
            assert lab.mlp.ready
            continue
        qtbot.waitUntil(lambda: lab.ready, timeout=30000)
        assert set(lab.race.trajectories) == {r.label for _, r in lab.race.panel.enabled()}
        assert lab.race.surface_box.currentText() == lab.race.surface.name


def test_click_sets_start_and_recomputes(lab, qtbot):
    lab.show()
    qtbot.waitExposed(lab)
    race = lab.race
    vb = race.map.getPlotItem().vb
    target = vb.mapViewToScene(vb.mapToView(vb.boundingRect().center()))
    pos = race.map.mapFromScene(target)
    qtbot.mouseClick(race.map.viewport(), Qt.LeftButton, pos=QPoint(pos.x(), pos.y()))
    qtbot.waitUntil(lambda: race.ready, timeout=30000)
    x0, x1, y0, y1 = race.surface.window
    assert race.start != race.surface.start
    assert x0 < race.start[0] < x1 and y0 < race.start[1] < y1
    first = next(iter(race.trajectories.values()))
    np.testing.assert_allclose(first.points[0], race.start)


def test_changing_a_hyperparameter_recomputes(lab, qtbot):
    race = lab.race
    before = race.trajectories["SGD"].points.copy()
    race.panel.racers[0].hyperparams["lr"] = 0.002
    race.panel.changed.emit()
    qtbot.waitUntil(lambda: race.ready, timeout=30000)
    assert not np.allclose(race.trajectories["SGD"].points[1:], before[1:])


def test_mlp_training_finishes_with_curves(lab, qtbot):
    mlp = lab.mlp
    mlp.steps.setValue(15)
    for label, check in mlp.panel.checks.items():
        check.setChecked(label in ("SGD", "Adam", "Newton"))
    mlp.train()
    qtbot.waitUntil(lambda: mlp.ready, timeout=30000)
    assert set(mlp.losses) == {"SGD", "Adam", "Newton"}
    for label, losses in mlp.losses.items():
        assert losses.shape == (16,) and losses[-1] < losses[0], label
        assert mlp.curves.drawn_points(label) == 16


def test_presenting_hides_the_editing_controls_and_brings_them_back(lab):
    race, mlp = lab.race, lab.mlp
    editing = (lab.preset_box, lab.tabs.tabBar(), race.surface_box, race.reset_button, race.panel,
               race.controls, race.status)
    mlp_editing = (mlp.dataset_box, mlp.train_button, mlp.progress, mlp.panel)  # (a tab not shown now)
    lab.set_presenting(True)
    assert not any(w.isVisibleTo(lab) for w in editing)
    assert not any(w.isVisibleTo(mlp) for w in mlp_editing)
    assert all(w.isVisibleTo(lab) for w in (race.map, race.curves, race.formula))
    lab.set_presenting(False)
    assert all(w.isVisibleTo(lab) for w in editing)
    assert all(w.isVisibleTo(mlp) for w in mlp_editing)


def test_nesterov_momentum_cannot_be_set_to_zero_so_training_never_fails_on_it(lab, qtbot):
    """Found by the monkey (bench/monkey.py): momentum 0 for Nesterov made the whole MLP training fail."""
    mlp = lab.mlp
    nesterov = next(r for r in mlp.panel.racers if r.label == "Nesterov")
    box = mlp.panel.boxes[3 + 1]  # SGD: lr; Momentum: lr, momentum; Nesterov: lr, then momentum
    assert box.value() == nesterov.hyperparams["momentum"] == 0.9
    box.setValue(0.0)
    assert nesterov.hyperparams["momentum"] == box.value() > 0
    mlp.steps.setValue(5)
    for label, check in mlp.panel.checks.items():
        check.setChecked(label == "Nesterov")
    mlp.train()
    qtbot.waitUntil(lambda: mlp.ready, timeout=30000)
    assert set(mlp.losses) == {"Nesterov"} and mlp.losses["Nesterov"].shape == (mlp.steps.value() + 1,)


def test_contour_lines_from_the_coarse_grid_cover_the_surface_window(qtbot):
    """Contours are traced on a coarser grid (widgets.loss_surface.CONTOUR_STRIDE) and scaled back:
    they must still lie on the surface's window, not in one corner of it."""
    view = LossSurfaceView()
    qtbot.addWidget(view)
    view.set_surface(BEALE)
    rects = [c.mapRectToItem(view.image, c.boundingRect()) for c in view._contours]
    image = view.image.boundingRect()
    union = rects[0]
    for r in rects[1:]:
        union = union.united(r)
    assert image.contains(union.adjusted(1, 1, -1, -1))
    assert union.width() > 0.9 * image.width() and union.height() > 0.9 * image.height()


def test_no_decay_box_reaches_one(lab):
    """Found by the monkey (bench/monkey.py): β₁'s box (3 decimals, up to 0.9999) rounded its top to 1.0,
    and β₁ = 1 made the race fail ("betas must lie in [0, 1)")."""
    from PySide6.QtWidgets import QDoubleSpinBox
    for panel in (lab.race.panel, lab.mlp.panel):
        for box in panel.boxes:
            if isinstance(box, QDoubleSpinBox) and box.maximum() < 2:
                box.setValue(box.maximum())
                assert box.value() < 1
        adam = next(r for r in panel.racers if r.label == "Adam")
        assert max(adam.hyperparams["betas"]) < 1
