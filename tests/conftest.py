"""Shared test setup: Qt renders offscreen; PyTorch is an optional oracle."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture
def torch():
    """PyTorch as an oracle; tests that use it skip cleanly when it is not installed."""
    return pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def no_job_left_running():
    """Every test ends with its background jobs stopped: cancelled and waited for, as closing the app does."""
    yield
    from viewmodel.jobs import cancel_all
    left = cancel_all(timeout=10.0)
    assert not left, f"background jobs still running after the test: {left}"
