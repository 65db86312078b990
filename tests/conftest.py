"""Shared test setup: Qt renders offscreen; PyTorch is an optional oracle."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture
def torch():
    """PyTorch as an oracle; tests that use it skip cleanly when it is not installed."""
    return pytest.importorskip("torch")
