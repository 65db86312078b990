"""``NonFiniteError``: training met a NaN or infinity; says which step, where and in which tensor.

Shared by every trainer (the sequence lab's, the training lab's), which raise it
*before* the optimizer's update, so the weights stay usable and the window can
pause and say where it happened.
"""
from __future__ import annotations


class NonFiniteError(FloatingPointError):
    """A NaN or infinity appeared: which training step, which model or layer, which tensor."""

    def __init__(self, step: int, where: str, tensor: str):
        self.step, self.where, self.tensor = step, where, tensor
        super().__init__(f"training step {step}, {where}: {tensor} is not finite")
