"""The inputs panel: every named leaf with its value; scalars editable, tensors as heatmaps."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from engine import Node, format_number
from viewmodel.thumbnails import thumb_size
from viewmodel.value_format import value_lines
from widgets.heatmap import heatmap_image

_THUMB = 40


class InputsPanel(QTableWidget):
    """Name | value; editing a scalar emits ``value_edited(name, value)``."""

    value_edited = Signal(str, float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["input", "value"])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        self.setSelectionMode(QAbstractItemView.NoSelection)
        self.itemChanged.connect(self._changed)
        self._filling = False

    def set_inputs(self, leaves: Sequence[Node]) -> None:
        """Show these leaves (named inputs and constants of the graph)."""
        self._filling = True
        self.setRowCount(len(leaves))
        for row, node in enumerate(leaves):
            name = QTableWidgetItem(node.name)
            name.setFlags(Qt.ItemIsEnabled)
            name.setToolTip("requires grad" if node.requires_grad else "constant (no gradient)")
            self.setItem(row, 0, name)
            data = node.data
            if isinstance(data, np.ndarray) and data.ndim > 0:
                item = QTableWidgetItem("×".join(map(str, data.shape)))
                item.setFlags(Qt.ItemIsEnabled)
                w, h = thumb_size(data.shape, _THUMB)
                pix = QPixmap.fromImage(heatmap_image(data)).scaled(round(w), round(h), Qt.IgnoreAspectRatio)
                item.setData(Qt.DecorationRole, pix)
                item.setToolTip("\n".join(value_lines(data, 6)))
                self.setRowHeight(row, _THUMB + 6)
            else:
                item = QTableWidgetItem(format_number(data, 6))
                item.setToolTip("edit to change this input; the graph re-runs")
            self.setItem(row, 1, item)
        self._filling = False

    def _changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 1:
            return
        name = self.item(item.row(), 0).text()
        try:
            value = float(item.text().replace("−", "-"))
        except ValueError:
            item.setToolTip(f"{item.text()!r} is not a number")
            return
        self.value_edited.emit(name, value)
