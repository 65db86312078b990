"""The optional CUDA backend from the outside: lazy imports, availability, and the simulator run.

Numba reads ``NUMBA_ENABLE_CUDASIM`` once, when it is imported, and the rest of the
suite must keep running the real CPU kernels, so everything CUDA-specific runs in
subprocesses: ``tests/test_cuda_kernels.py`` (the kernels and rules) and
``tests/test_cuda_devices.py`` (the "cuda" device through the public API) under the
simulator, and (where the
CUDA compiler libraries are installed but no GPU is) every kernel signature that
run launched, compiled to PTX by the real numba-cuda compiler.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAS_CUDA_TARGET = (importlib.util.find_spec("numba_cuda") is not None
                   or importlib.util.find_spec("numba.cuda") is not None)


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_importing_the_engine_never_loads_numba_cuda():
    done = run_python(
        "import sys, numpy as np\n"
        "import engine, engine.cuda\n"
        "from engine import Tensor\n"
        "import engine.functional as F\n"
        "x = Tensor(np.linspace(-1, 1, 6), requires_grad=True)\n"
        "F.leaky_relu(x).sum().backward()   # runs a CPU Numba kernel\n"
        "assert x.grad is not None\n"
        "assert x.device == 'cpu' and x.to('cpu') is x and x.cpu() is x\n"
        "assert engine.nn.Linear(2, 3).to('cpu').weight.device == 'cpu'\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('numba.cuda', 'numba_cuda')))\n"
        "print(loaded)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_a_cuda_target_the_backend_is_unavailable_and_says_how_to_install():
    done = run_python(
        "import sys\n"
        "sys.modules['numba.cuda'] = None   # as if neither numba-cuda nor a built-in target existed\n"
        "import engine.cuda as c\n"
        "print(c.is_available(), c.is_simulator(), repr(c.device_name()))\n"
        "print(c.unavailable_reason())\n")
    assert done.returncode == 0, done.stderr
    first, reason = done.stdout.splitlines()
    assert first == "False False ''"
    assert 'pip install -e ".[cuda]"' in reason


def test_without_cuda_moving_to_the_gpu_is_a_clear_error():
    done = run_python(
        "import sys\n"
        "sys.modules['numba.cuda'] = None\n"
        "from engine import Tensor, nn\n"
        "for move in (lambda: Tensor([1.0]).to('cuda'), lambda: Tensor([1.0], device='cuda'),\n"
        "             lambda: nn.Linear(2, 3).to('cuda')):\n"
        "    try:\n"
        "        move()\n"
        "    except RuntimeError as exc:\n"
        "        print(exc)\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("cannot use the 'cuda' device: no CUDA target")
                                   for line in lines), lines


@pytest.mark.skipif(not HAS_CUDA_TARGET, reason="no CUDA target for Numba installed")
def test_the_simulator_is_used_only_when_asked_for():
    probe = ("import engine.cuda as c, numba.cuda as nc\n"
             "print(c.is_simulator(), c.is_available() == bool(nc.is_available()),\n"
             "      bool(c.unavailable_reason()) != c.is_available(), c.device_name())\n")
    plain = run_python(probe)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.splitlines()[0].startswith("False True True")
    simulated = run_python(probe, NUMBA_ENABLE_CUDASIM="1")
    assert simulated.returncode == 0, simulated.stderr
    assert simulated.stdout.splitlines()[0] == "True True True CUDA simulator"


def test_the_benchmark_says_why_and_exits_cleanly_without_a_gpu():
    done = run_python("import engine.cuda as c; print(c.is_available() and not c.is_simulator())")
    if done.stdout.strip() == "True":
        pytest.skip("a GPU is present: bench.cuda would run the full benchmark")
    bench = subprocess.run([sys.executable, "-m", "bench.cuda"], cwd=ROOT, capture_output=True,
                           text=True, timeout=300,
                           env={k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"})
    assert bench.returncode == 0, bench.stderr
    lines = bench.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench.cuda: no GPU to measure on (")


@pytest.fixture(scope="module")
def simulator_run(tmp_path_factory):
    """``tests/test_cuda_kernels.py`` and ``tests/test_cuda_devices.py`` under the CUDA
    simulator, recording the kernel tests' launches."""
    if not HAS_CUDA_TARGET:
        pytest.skip("no CUDA target for Numba installed")
    launches = tmp_path_factory.mktemp("cuda") / "launches.json"
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", CHAINRULE_CUDA_LAUNCHES=str(launches))
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_cuda_kernels.py"),
                           str(ROOT / "tests" / "test_cuda_devices.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    return done, launches


def test_every_cuda_kernel_matches_the_cpu_under_the_simulator(simulator_run):
    done, _ = simulator_run
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 105, summary
    assert "failed" not in summary and "error" not in summary, summary


def _compiler_without_gpu() -> bool:
    """True when numba-cuda can compile to PTX (libNVVM, NVRTC) but there is no GPU to run on."""
    done = run_python("from numba import cuda, types\n"
                      "def f(a):\n    a[0] = 1.0\n"
                      "cuda.compile_ptx(f, (types.float64[:],), cc=(7, 5))\n"
                      "print(cuda.is_available())")
    return done.returncode == 0 and done.stdout.strip() == "False"


PTX_COMPILE = """
import importlib, json, sys
from numba import cuda, types
import numba.cuda.dispatcher as dispatcher

class Turing:  # device functions ask the current device for its compute capability
    compute_capability = (7, 5)

dispatcher.get_current_device = Turing
def numba_type(t):
    if t[0] == "array":
        return types.Array(getattr(types, t[1]), t[2], t[3])
    if t[0] == "tuple":
        return types.UniTuple(types.int64, t[1])
    return getattr(types, t[0])
failures = []
for module, name, args in (json.loads(s) for s in json.load(open(sys.argv[1]))):
    kernel = getattr(importlib.import_module(module), name)
    try:
        cuda.compile_ptx(kernel.py_func, tuple(numba_type(t) for t in args), cc=(7, 5))
    except Exception as exc:
        failures.append(f"{module}.{name}{args}: {type(exc).__name__}: {str(exc)[:300]}")
print(json.dumps(failures))
"""


def test_every_launched_kernel_compiles_for_a_real_gpu(simulator_run):
    """The simulator runs kernels as Python, so it cannot catch code a GPU compiler rejects
    (a shared-memory shape that is not a constant, a type that does not unify); compiling
    every signature the simulator launched catches those without hardware."""
    if not _compiler_without_gpu():
        pytest.skip("needs libNVVM (pip install nvidia-nvvm nvidia-cuda-nvrtc) and no GPU; "
                    "with a GPU the kernels compile and run in test_cuda_kernels.py")
    _, launches = simulator_run
    signatures = json.loads(launches.read_text())
    assert len(signatures) >= 50
    done = subprocess.run([sys.executable, "-c", PTX_COMPILE, str(launches)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900,
                          env={k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
