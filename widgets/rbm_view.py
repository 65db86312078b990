"""The RBM/DBN sub-view: the weights as filter images, inputs above their reconstructions, a
Gibbs chain at step k, and the reconstruction error and free energy over training.

It draws a :class:`viewmodel.generative_lab.RBMPicture`; the Gibbs step k is the view's own
cursor (``set_gibbs_step``).  Weights are signed (CET-CBD1), pixels and probabilities are
in [0, 1] (viridis).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QWidget

from viewmodel.generative_lab import RBMPicture, mosaic
from widgets.generative_plots import CurvesPanel, fit, image_item, no_mouse, restyle, show_image, themed_plot
from widgets.theme import LIGHT, Theme


class RBMView(QWidget):
    """Filters, reconstructions, Gibbs chain, and two curves (reconstruction error, free energy)."""

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.picture: RBMPicture | None = None
        self.gibbs_step = 10 ** 6
        """Shown Gibbs step (clamped to the chain): its end, the model's samples, until stepped."""
        self.filters = themed_plot(theme, "filters: W per hidden unit")
        self.filters_image = image_item(signed=True)
        self.recon = themed_plot(theme, "v (top), P(v | h) (bottom)")
        self.recon_image = image_item(signed=False)
        self.gibbs = themed_plot(theme, "Gibbs chain")
        self.gibbs_image = image_item(signed=False)
        for widget, item in ((self.filters, self.filters_image), (self.recon, self.recon_image),
                             (self.gibbs, self.gibbs_image)):
            widget.addItem(item)
            widget.getPlotItem().invertY(True)
            widget.setAspectLocked(True)
            widget.getPlotItem().hideAxis("left")
            widget.getPlotItem().hideAxis("bottom")
            no_mouse(widget)
        self.error_plot = themed_plot(theme, "reconstruction error", "CD update")
        self.error_curves = CurvesPanel(self.error_plot, theme)
        self.energy_plot = themed_plot(theme, "free energy F(v)", "CD update")
        self.energy_curves = CurvesPanel(self.energy_plot, theme)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filters, 0, 0, 2, 1)
        layout.addWidget(self.recon, 0, 1)
        layout.addWidget(self.gibbs, 1, 1)
        layout.addWidget(self.error_plot, 0, 2)
        layout.addWidget(self.energy_plot, 1, 2)
        layout.setColumnStretch(0, 4)
        layout.setColumnStretch(1, 4)
        layout.setColumnStretch(2, 3)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for w in (self.filters, self.recon, self.gibbs, self.error_plot, self.energy_plot):
            restyle(w, theme)
        self.error_curves.set_theme(theme)
        self.energy_curves.set_theme(theme)
        if self.picture is not None:
            self.show_picture(self.picture)

    def show_picture(self, picture: RBMPicture | None) -> None:
        self.picture = picture
        if picture is None:
            return
        n = len(picture.filters)
        title = "filters: W per hidden unit"
        if picture.layers > 1:
            title = f"DBN layer {picture.layer + 1} of {picture.layers}, in pixels"
        restyle(self.filters, self.theme, title)
        scale = np.abs(picture.filters).reshape(n, -1).max(axis=1)  # each filter on its own scale
        filters = picture.filters / np.where(scale > 0, scale, 1.0)[:, None, None]
        pair = np.concatenate([picture.inputs, picture.reconstructions])
        fit(self.filters, show_image(self.filters_image, mosaic(filters, int(np.ceil(np.sqrt(n)))), signed=True))
        fit(self.recon, show_image(self.recon_image, mosaic(pair, len(picture.inputs)), signed=False))
        self.set_gibbs_step(self.gibbs_step)

    def gibbs_steps(self) -> int:
        """States in the Gibbs chain (steps + 1)."""
        return len(self.picture.chain) if self.picture is not None else 0

    def set_gibbs_step(self, k: int) -> None:
        """Show every chain's visible probabilities after ``k`` Gibbs steps (clamped)."""
        if self.picture is None:
            return
        k = max(0, min(int(k), len(self.picture.chain) - 1))
        self.gibbs_step = k
        state = self.picture.chain[k]
        images = state.v if k == 0 else state.v_prob
        fit(self.gibbs, show_image(self.gibbs_image, mosaic(images, len(images)), signed=False))
        restyle(self.gibbs, self.theme, "Gibbs chain: random v⁽⁰⁾" if k == 0 else f"Gibbs chain: k = {k}")

    def set_curves(self, curves: dict, upto: int | None = None) -> None:
        """The reconstruction error on the left plot, the free energy on the right one."""
        self.error_curves.set_curves({n: v for n, v in curves.items() if n.startswith("reconstruction")}, upto)
        self.energy_curves.set_curves({n: v for n, v in curves.items() if n.startswith("free energy")}, upto)
