"""Which device training runs on: what this machine offers, what is in use, and the CPU fallback.

Qt-free state behind ``widgets.device_selector.DeviceSelector``.  The GPU entry is
always listed; where CUDA cannot run it is disabled and says why ("CUDA (not
available: ...)").  :meth:`DeviceChoice.run` is how a lab trains: it calls the
training function with the chosen device and, if that fails on the GPU, says so
in :attr:`DeviceChoice.note` and runs it again on the CPU, so the lesson goes on.
It may run in a background job's thread; ``events.changed`` is then emitted there
(the widget re-posts it to the GUI thread).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

import engine.cuda
from engine.nonfinite import NonFiniteError

from .events import Events

T = TypeVar("T")


@dataclass(frozen=True)
class DeviceOption:
    """One entry of the selector: the engine's device name, its label, whether it can be chosen."""

    device: str
    label: str
    available: bool


def device_options(unsupported: str = "") -> list[DeviceOption]:
    """The CPU, and the GPU with its name, or disabled with the reason it cannot be used:
    ``unsupported`` when the model itself has no CUDA path (e.g. "the RBM's Gibbs sampling
    has no CUDA kernels"), else why this machine cannot run CUDA.
    (Asks ``engine.cuda.is_available()``, which loads numba.cuda when it is installed.)"""
    if unsupported:
        gpu = DeviceOption("cuda", f"CUDA (not available: {unsupported})", False)
    elif engine.cuda.is_available():
        gpu = DeviceOption("cuda", f"CUDA ({engine.cuda.device_name()})", True)
    else:
        gpu = DeviceOption("cuda", f"CUDA (not available: {engine.cuda.unavailable_reason()})", False)
    return [DeviceOption("cpu", "CPU", True), gpu]


class DeviceChoice:
    """The device chosen for training, the one last used, and a note when the GPU failed."""

    def __init__(self, options: list[DeviceOption] | None = None):
        self.options = device_options() if options is None else list(options)
        self.selected = "cpu"
        self.in_use = "cpu"
        self.note = ""
        self.events = Events("changed")

    def label(self, device: str) -> str:
        return next(o.label for o in self.options if o.device == device)

    def select(self, device: str) -> None:
        """Choose ``device`` for the next training; a disabled one is refused with its reason."""
        option = next((o for o in self.options if o.device == device), None)
        if option is None:
            raise ValueError(f"unknown device {device!r}; the choices are "
                             f"{', '.join(o.device for o in self.options)}")
        if not option.available:
            raise ValueError(option.label)
        self.selected, self.note = device, ""
        self.events.changed.emit()

    def run(self, train: Callable[[str], T]) -> T:
        """``train(device)`` on the chosen device; if it raises on the GPU, note why and
        ``train("cpu")`` instead (a NonFiniteError is the model's, not the GPU's: re-raised)."""
        self._use(self.selected, self.note)
        try:
            return train(self.selected)
        except NonFiniteError:
            raise
        except Exception as exc:  # noqa: BLE001 - any GPU failure falls back to the CPU
            if self.selected == "cpu":
                raise
            self.selected = "cpu"
            self._use("cpu", f"The GPU failed ({type(exc).__name__}: {exc}); "
                             "training went on on the CPU.")
            return train("cpu")

    def status(self) -> str:
        """What the selector shows next to the menu: the device in use, and the note if any."""
        text = f"Training on: {self.label(self.in_use)}"
        return f"{text}. {self.note}" if self.note else text

    def _use(self, device: str, note: str) -> None:
        self.in_use, self.note = device, note
        self.events.changed.emit()
