"""Log axes label their ticks without overlap on short plots (the training lab's 120-pixel ones)."""
import math

import numpy as np
import pytest

from widgets.log_axis import ReadableLogAxis, thinned


def test_thinned_keeps_1_2_5_then_spaces_the_rest():
    minor = [v + math.log10(m) for v in (-3, -2, -1) for m in range(1, 10)]
    low, high = -2.2, -0.5  # (0.0063 .. 0.32)
    inside = [v for v in minor if low < v < high]
    assert thinned(inside, low, high, pixels=1000, gap_px=10) == sorted(inside)  # room for all
    kept = thinned(inside, low, high, pixels=120, gap_px=20)
    mantissas = {round(10 ** (v - math.floor(v + 1e-9)), 6) for v in kept}
    assert mantissas <= {1.0, 2.0, 5.0} and len(kept) >= 2
    assert np.all(np.diff(kept) / ((high - low) / 120) >= 20)


@pytest.mark.parametrize("low, high", [(0.007, 0.3), (0.7, 0.9), (0.03, 0.9), (1e-6, 10.0)])
def test_every_labelled_tick_of_a_short_log_axis_has_room(qtbot, low, high):
    import pyqtgraph as pg
    plot = pg.PlotWidget(axisItems={"left": ReadableLogAxis("left")})
    qtbot.addWidget(plot)
    plot.resize(300, 120)
    plot.getPlotItem().setLogMode(y=True)
    plot.plot([0, 1, 2], [low, math.sqrt(low * high), high])
    plot.show()
    qtbot.wait(50)
    axis = plot.getPlotItem().getAxis("left")
    lo, hi = axis.range
    size = axis.geometry().height()
    values = sorted(v for _, level in axis.tickValues(lo, hi, size) for v in level if lo <= v <= hi)
    assert values, "a log axis always shows at least one labelled tick"
    gaps = np.diff(values) / (hi - lo) * size
    assert np.all(gaps >= 14), (values, gaps)  # (a tick label is about 14-17 px high)
