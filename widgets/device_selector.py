"""A device menu for wherever training happens: CPU or CUDA, which one is in use, the fallback note.

Draws :class:`viewmodel.device_choice.DeviceChoice`.  To use it in a lab, add the widget
to a layout and train through it::

    self.device_selector = DeviceSelector()          # in the layout, near Train
    result = self.device_selector.run(lambda device: train(..., device=device))  # in the job

``run`` trains on the chosen device and, if the GPU fails, on the CPU with a note the
widget shows.  The CUDA entry is always there; where CUDA cannot run it is disabled and
its label says why.
"""
from __future__ import annotations

from typing import Callable, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from viewmodel.device_choice import DeviceChoice

T = TypeVar("T")


class DeviceSelector(QWidget):
    """"Device: [CPU | CUDA (...)]" and "Training on: ..." (with the fallback note)."""

    _changed = Signal()
    """The view model changed, possibly on a job's thread: redrawn on the GUI thread."""

    def __init__(self, choice: DeviceChoice | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.choice = DeviceChoice() if choice is None else choice
        self.box = QComboBox()
        self.box.setToolTip("Where training runs: the CPU, or an NVIDIA GPU through numba.cuda")
        # as wide as the usable entries; a disabled entry's reason shows in the open menu
        self.box.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.box.setMinimumContentsLength(max(len(o.label) for o in self.choice.options if o.available))
        for i, option in enumerate(self.choice.options):
            self.box.addItem(option.label, option.device)
            self.box.model().item(i).setEnabled(option.available)
        self.box.activated.connect(lambda i: self.choice.select(self.box.itemData(i)))
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Device"))
        layout.addWidget(self.box, 0)
        layout.addWidget(self.status, 1)
        self._changed.connect(self._redraw)
        self.choice.events.changed.connect(self._post)
        self._redraw()

    @property
    def device(self) -> str:
        """The device chosen for the next training ("cpu" or "cuda")."""
        return self.choice.selected

    def run(self, train: Callable[[str], T]) -> T:
        """``train(device)`` on the chosen device, falling back to the CPU (see DeviceChoice.run)."""
        return self.choice.run(train)

    def _post(self) -> None:
        self._changed.emit()  # queued to the GUI thread when emitted from a job

    def _redraw(self) -> None:
        self.box.setCurrentIndex(self.box.findData(self.choice.selected))
        self.status.setText(("⚠ " if self.choice.note else "") + self.choice.status())
