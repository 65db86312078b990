"""Saved work across processes: SIGKILL during autosave never leaves a partial recovery file, and
both launchers (``python -m app`` and the ``chainrule`` entry point) use one recovery folder."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.lecture.storage import Autosaver

ROOT = Path(__file__).resolve().parents[1]

KILL_TRIALS = 30
"""Autosave loops SIGKILLed at a random moment (a ``bench``-style run can pass many more)."""

KILL_SERVER = r"""
import json, os, random, signal, sys, time
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, sys.argv[1])
folder, trials, seed = Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
MID_WRITE_TRIALS = 3
import numpy as np
from app.lecture.lessons import Lesson, Scene
from app.lecture.storage import Autosaver, Document, document_from_text, document_text, load_document


def document(k):
    rng = np.random.default_rng(k)  # about 1 MB of numbers: a save takes long enough to be hit
    scene = Scene(view="explorer", expression="f = sum(W * v)",
                  values={"W": rng.normal(size=(40, 40)).tolist(), "v": [float(k)]})
    return Document(lesson=Lesson(id=f"doc-{k}", title=f"Document {k}", scenes=[scene]),
                    views={"explorer": scene}, view="explorer")


docs = [document(0), document(1)]
texts = [document_text(d) for d in docs]
document_from_text(texts[0], "warm-up")  # compile what the check builds, before forking


def autosave_forever(first, mid_write):
    if mid_write is not None:  # stop inside the first write of a new file, after its bytes are out
        real_fsync = os.fsync
        def fsync(fd):
            real_fsync(fd)
            os.write(mid_write, b"x")
            time.sleep(60)
        os.fsync = fsync
    from PySide6.QtCore import QCoreApplication
    app = QCoreApplication([])
    turn = [first]
    saver = Autosaver(lambda: docs[turn[0] % 2], folder=folder, interval_ms=10**8)
    while True:
        turn[0] += 1
        saver.save_now()


rng = random.Random(seed)
results = []
for trial in range(trials):
    hooked = trial < MID_WRITE_TRIALS  # the first few kills land inside a write for certain
    r, w = os.pipe() if hooked else (None, None)
    pid = os.fork()
    if pid == 0:
        try:
            autosave_forever(trial, w)
        finally:
            os._exit(1)
    if hooked:
        os.read(r, 1)
        os.close(r)
        os.close(w)
    else:
        time.sleep(rng.uniform(0.01, 0.15))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    path = folder / f"autosave.{pid}-0.chainrule"  # (each process its own file)
    temps = len(list(folder.glob(f".{path.name}.*.tmp")))
    try:
        content = document_text(replace(load_document(path), autosave=None)) if path.exists() else None
        state = "none" if content is None else texts.index(content) if content in texts else "other"
    except Exception as exc:
        state = f"unreadable: {exc}"[:300]
    results.append([state, temps])
print(json.dumps(results))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks the autosaving process")
def test_sigkill_during_autosave_leaves_the_old_or_the_new_file_complete(qapp, tmp_path):
    folder = tmp_path / "recovery"
    folder.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    run = subprocess.run([sys.executable, "-c", KILL_SERVER, str(ROOT), str(folder), str(KILL_TRIALS), "18"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout.splitlines()[-1])
    states = [state for state, _ in results]
    assert all(state in ("none", 0, 1) for state in states), [s for s in states if s not in ("none", 0, 1)]
    assert states.count(0) + states.count(1) >= KILL_TRIALS // 2, "most kills came after a first complete save"
    assert len(set(states) - {"none"}) == 2, "kills landed after either document"
    assert all(temps for _, temps in results[:3]), "kills inside a write leave a temp file"
    assert list(folder.glob("autosave.*.lock")), "a killed process's lock stays behind"
    offered = {Autosaver(lambda: None, folder=folder).pending() is not None for _ in range(3)}
    assert offered == {True}, "each start is offered one of the killed processes' autosaves"
    assert list(folder.glob(".autosave.*.tmp")) == [], "and what the kills left is cleaned up"


LAUNCHERS = {
    "python -m app": [sys.executable, "-m", "app"],
    "chainrule": [sys.executable, "-c", "import sys; sys.argv[0] = '/usr/local/bin/chainrule'; "
                                        "from app.cli import main; sys.exit(main())"],
}


def _run_until(argv, env, done, what: str, timeout_s: float = 120.0) -> None:
    """Start Chainrule, wait until ``done()`` (it got far enough), then end it."""
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout_s
        while not done():
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, what
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait()


def test_both_launchers_use_one_recovery_folder(tmp_path):
    """Each launcher finds an unreadable autosave in ``$XDG_DATA_HOME/Chainrule/recovery`` and sets it
    aside there (then waits on its message box, and is ended)."""
    data = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(data), "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "PYTHONPATH": str(ROOT)}
    folder = data / "Chainrule" / "recovery"
    folder.mkdir(parents=True)
    for name, argv in LAUNCHERS.items():
        (folder / "autosave.chainrule").write_text(f"left by a crash, for {name}", encoding="utf-8")
        before = set(folder.glob("autosave-*.broken.chainrule"))
        _run_until(argv, env, lambda: set(folder.glob("autosave-*.broken.chainrule")) != before,
                   f"{name} never looked in {folder}")
        (kept,) = set(folder.glob("autosave-*.broken.chainrule")) - before
        assert kept.read_text(encoding="utf-8") == f"left by a crash, for {name}"
    assert sorted(p.name for p in data.iterdir()) == ["Chainrule"], "no folder named after a launcher"
