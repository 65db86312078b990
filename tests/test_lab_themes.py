"""Every lab follows every theme: fits a 1024x768 screen, plots and their text in the theme's colours,
and every optimizer's colour visible on every background."""
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from app.optimizer_lab import OptimizerLab
from app.sequence_lab import SequenceLab
from widgets.curves import series_style
from widgets.palette import SERIES_STYLES, contrast, palette_for
from widgets.theme import LIGHT, THEMES


@pytest.mark.parametrize("theme", list(THEMES.values()), ids=list(THEMES))
@pytest.mark.parametrize("lab_class", [OptimizerLab, SequenceLab])
def test_every_lab_fits_1024x768_and_follows_the_theme(qtbot, lab_class, theme):
    lab = lab_class(theme=LIGHT)  # made in one theme, switched to another, as the main window does
    qtbot.addWidget(lab)
    lab.setPalette(palette_for(theme))
    lab.set_theme(theme)
    lab.resize(1024, 768)
    lab.show()
    qtbot.waitUntil(lambda: getattr(lab, "ready", True), timeout=60_000)
    assert lab.minimumSizeHint().width() <= 1024 and lab.width() == 1024
    too_wide = [type(w).__name__ for w in lab.findChildren(QWidget) if w.isVisible() and w.width() > 1024]
    assert not too_wide
    plots = lab.findChildren(pg.PlotWidget)
    assert plots
    for plot in plots:
        assert plot.backgroundBrush().color() == QColor(theme.background), type(plot).__name__
        for name in ("left", "bottom"):
            axis = plot.getPlotItem().getAxis(name)
            assert axis.textPen().color() == QColor(theme.text)
            if axis.labelText:
                assert QColor(axis.labelStyle.get("color", "")) == QColor(theme.text), axis.labelText
    lab.shutdown()


def test_optimizer_styles_are_distinct_visible_everywhere_and_never_the_minimum_star():
    styles = [series_style(i) for i in range(len(SERIES_STYLES))]
    assert len({s.color for s in styles}) == len(styles)
    assert len({s.marker for s in styles}) == len(styles) and "star" not in {s.marker for s in styles}
    for theme in THEMES.values():
        for s in styles:
            assert contrast(s.color, theme.background) >= 3.0, (s.color, theme.name)
