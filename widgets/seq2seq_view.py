"""The seq2seq sub-view: attention a_tj, the decoder's top tokens at step t, the encoder's states
h_1..h_n (the last one is the summary s) and the loss curves with and without attention.

It draws a :class:`viewmodel.generative_lab.Seq2SeqPicture`; the output step t is the view's own
cursor (``set_output_step``), shown as a frame around row t of the attention map.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from viewmodel.generative_lab import Seq2SeqPicture
from widgets.generative_plots import (CurvesPanel, image_item, no_mouse, restyle, show_image,
                                      themed_plot, token_ticks)
from widgets.theme import LIGHT, Theme


ENCODER_LABELS = 8
"""At most this many input symbols named along the encoder states' axis."""


def shown(token: str) -> str:
    """A token as the axes write it (a space is visible)."""
    return "␣" if token == " " else token


class Seq2SeqView(QWidget):
    """Four panels: attention heatmap, top-k probabilities, encoder states, loss curves."""

    def __init__(self, parent: QWidget | None = None, theme: Theme = LIGHT):
        super().__init__(parent)
        self.theme = theme
        self.picture: Seq2SeqPicture | None = None
        self.output_step = 0
        self.attention = themed_plot(theme, "attention a_tj", "input x_j", "output y_t")
        self.attention_image = image_item(signed=False)
        self.attention.addItem(self.attention_image)
        self.cursor = pg.PlotDataItem(pen=pg.mkPen(theme.error, width=3))
        self.attention.addItem(self.cursor)
        self.attention.getPlotItem().invertY(True)
        self.no_attention = pg.TextItem("", anchor=(0.5, 0.5), color=theme.text)
        self.attention.addItem(self.no_attention)
        self.top = themed_plot(theme, "decoder step t", "most likely next tokens", "probability")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6, brush=theme.value)
        self.top.addItem(self.bars)
        self.top.setYRange(0, 1.0, padding=0.02)
        self.encoder = themed_plot(theme, "encoder states h_t (last: s)", "hidden unit",
                                   "input x_t")
        self.encoder_image = image_item(signed=True)
        self.encoder.addItem(self.encoder_image)
        self.encoder.getPlotItem().invertY(True)
        self.summary_frame = pg.PlotDataItem(pen=pg.mkPen(theme.highlight, width=3))
        self.encoder.addItem(self.summary_frame)
        self.losses = themed_plot(theme, "training loss", "training step", "cross-entropy")
        self.curves = CurvesPanel(self.losses, theme)
        for w in (self.attention, self.top, self.encoder):
            no_mouse(w)
        self.output_line = QLabel()
        self.output_line.setWordWrap(True)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.output_line, 0, 0, 1, 2)
        layout.addWidget(self.attention, 1, 0)
        layout.addWidget(self.top, 1, 1)
        layout.addWidget(self.encoder, 2, 0)
        layout.addWidget(self.losses, 2, 1)
        layout.setRowStretch(1, 3)
        layout.setRowStretch(2, 2)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for w in (self.attention, self.top, self.encoder, self.losses):
            restyle(w, theme)
        self.curves.set_theme(theme)
        self.cursor.setPen(pg.mkPen(theme.error, width=3))
        self.summary_frame.setPen(pg.mkPen(theme.highlight, width=3))
        self.bars.setOpts(brush=theme.value)
        self.no_attention.setColor(theme.text)
        self.output_line.setStyleSheet(f"color: {theme.text};")
        if self.picture is not None:
            self.show_picture(self.picture)

    def show_picture(self, picture: Seq2SeqPicture | None) -> None:
        """Draw one decoded example (None: nothing)."""
        self.picture = picture
        if picture is None:
            return
        d = picture.decoding
        n_in, n_out = len(d.source_tokens), len(d.output_tokens)
        left = self.attention.getPlotItem().getAxis("left")
        bottom = self.attention.getPlotItem().getAxis("bottom")
        bottom.setTicks(token_ticks([shown(t) for t in d.source_tokens]))
        left.setTicks(token_ticks([shown(t) for t in d.output_tokens]))
        if d.attention is not None:
            show_image(self.attention_image, d.attention, signed=False)
            self.attention_image.show()
            self.no_attention.setText("")
        else:
            self.attention_image.hide()
            self.no_attention.setText("no attention:\nthe decoder sees only s")
            self.no_attention.setPos(n_in / 2, n_out / 2)
        self.attention.setXRange(0, n_in, padding=0.02)
        self.attention.setYRange(0, n_out, padding=0.02)
        show_image(self.encoder_image, d.encoder_states, signed=True)
        h = d.encoder_states.shape[1]
        stride = -(-n_in // ENCODER_LABELS)  # long inputs: every k-th row named, so labels never overlap
        self.encoder.getPlotItem().getAxis("left").setTicks(
            [[(k + 0.5, shown(tok)) for k, tok in enumerate(d.source_tokens) if (n_in - 1 - k) % stride == 0]])
        self.summary_frame.setData([0, h, h, 0, 0], [n_in - 1, n_in - 1, n_in, n_in, n_in - 1])
        self.encoder.setXRange(0, h, padding=0.01)
        self.encoder.setYRange(0, n_in, padding=0.02)
        self.set_output_step(min(self.output_step, n_out - 1))

    def output_steps(self) -> int:
        """How many steps the decoder wrote (</s> included)."""
        return len(self.picture.decoding.output_tokens) if self.picture is not None else 0

    def set_output_step(self, t: int) -> None:
        """Show decoder step ``t`` (0-based, clamped): its top tokens and its attention row."""
        if self.picture is None:
            return
        d = self.picture.decoding
        t = max(0, min(int(t), len(d.output_tokens) - 1))
        self.output_step = t
        n_in = len(d.source_tokens)
        self.cursor.setData([0, n_in, n_in, 0, 0], [t, t, t + 1, t + 1, t])
        k = len(d.top_tokens[t])
        self.bars.setOpts(x=np.arange(k), height=d.top_probs[t], width=0.6)
        self.top.getPlotItem().getAxis("bottom").setTicks([[(i, shown(tok)) for i, tok in
                                                            enumerate(d.top_tokens[t])]])
        self.top.setXRange(-0.6, k - 0.4, padding=0)
        restyle(self.top, self.theme, f"step t = {t + 1}: y_t = softmax(W_hy h_t)")
        written = html.escape(" ".join(shown(x) for x in d.output_tokens[:t + 1]))
        verdict = "right" if d.output == self.picture.target else f"should be {self.picture.target}"
        self.output_line.setText(f"<b>x</b> = {html.escape(d.source)} &nbsp;→&nbsp; <b>y</b> = "
                                 f"{html.escape(d.output)} ({html.escape(verdict)})"
                                 f" &nbsp;&nbsp; written so far: {written}")

    def set_curves(self, curves: dict, upto: int | None = None) -> None:
        self.curves.set_curves(curves, upto)
