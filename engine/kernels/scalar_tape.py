"""The compiled scalar tape's sweeps, generated from the primitive registry.

Every primitive with :class:`~engine.registry.ScalarKernels` (its float forward
and its partials, declared beside its rule) gets an op code, in registration
order; 0 is a leaf.  :func:`sweeps` writes a small Python module holding
``tape_forward`` and ``tape_backward`` for that table, an ``if``/``elif`` chain
calling each primitive's own functions, which Numba inlines.  The module's
name is a hash of its source and of the kernels' code, and it is written once
into :data:`CACHE_DIR`, so Numba's ``cache=True`` keeps its compiled sweeps
between runs and a changed kernel gets a new module.  There is no second copy
of any rule: the partials run here, compiled, exactly as the Python backward
pass runs them on floats.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from .. import registry
from ..registry import Primitive

GENERATOR = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
"""This generator's own fingerprint: editing it (the template, how kernels are compiled)
gives every generated module a new name, so no stale compiled sweep is ever loaded."""


def _cache_dir() -> Path:
    """Where generated sweeps live: ``$CHAINRULE_KERNEL_CACHE``, else next to Numba's own
    cache of this package when writable, else the user's cache folder."""
    if os.environ.get("CHAINRULE_KERNEL_CACHE"):
        return Path(os.environ["CHAINRULE_KERNEL_CACHE"])
    here = Path(__file__).resolve().parent / "__pycache__"
    try:
        here.mkdir(exist_ok=True)
        if os.access(here, os.W_OK):
            return here / "generated"
    except OSError:
        pass
    return Path.home() / ".cache" / "chainrule" / "kernels"


CACHE_DIR = _cache_dir()


@dataclass(frozen=True)
class Table:
    """The compiled tape's op codes: ``codes[prim]`` for every scalar-compilable primitive."""

    prims: tuple[Primitive, ...]
    codes: dict
    version: int

    @property
    def dtype(self):
        return np.int8 if len(self.prims) < 127 else np.int16


_table: list[Table] = []
_lock = threading.Lock()
_modules: dict[str, types.ModuleType] = {}
_by_version: dict[int, types.ModuleType] = {}


def table() -> Table:
    """The op codes of the registry as it is now (rebuilt when a primitive is (un)registered)."""
    current = _table[0] if _table else None
    if current is None or current.version != registry.version():
        prims = tuple(p for p in registry.REGISTRY.values()
                      if p.scalar is not None and len(p.scalar.partials) in (1, 2))
        current = Table(prims, {p: i + 1 for i, p in enumerate(prims)}, registry.version())
        _table[:] = [current]
    return current


# -- compiling the declared float functions ----------------------------------------------
@njit(inline="always", error_model="numpy")
def _where(cond, a, b):
    return a if cond else b


@njit(inline="always", error_model="numpy")
def _eq(a, b):
    return a == b


def _vocabulary(prims) -> types.ModuleType:
    """Numba's ``D``: ``D.exp`` is exp's compiled float forward, ``D.where``/``D.eq`` as in
    :mod:`engine.prims.dispatch`; the partials and forwards are compiled against it."""
    vocab = types.ModuleType("engine.kernels.scalar_vocabulary")
    vocab.where, vocab.eq = _where, _eq
    for p in prims:
        compiled = _compile(p.scalar.forward, vocab)
        for e in p.exports:
            for name in e.functional:
                setattr(vocab, name, compiled)
    return vocab


def _compile(fn, vocab):
    """``fn`` for Numba: a builtin (``math.exp``, ``abs``) as it is, a Python function with
    its ``D`` bound to the compiled vocabulary, a constant partial as a number."""
    if not callable(fn) or isinstance(fn, types.BuiltinFunctionType):
        return fn
    rebound = types.FunctionType(fn.__code__, dict(fn.__globals__, D=vocab), fn.__name__,
                                 fn.__defaults__, fn.__closure__)
    return njit(inline="always", error_model="numpy")(rebound)


def _fingerprint(fn) -> str:
    """What identifies a kernel's behaviour: its bytecode, constants and the numbers it reads."""
    if not callable(fn):
        return repr(float(fn))
    if isinstance(fn, types.BuiltinFunctionType):
        return f"{getattr(fn, '__module__', '')}.{fn.__qualname__}"
    parts = []

    def walk(code):
        parts.append(code.co_code.hex())
        parts.append(repr(code.co_names))
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                walk(c)
            else:
                parts.append(repr(c))
    walk(fn.__code__)
    for name in fn.__code__.co_names:
        value = fn.__globals__.get(name)
        if isinstance(value, (int, float)):
            parts.append(f"{name}={value!r}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


# -- the generated module -------------------------------------------------------------------
def _ident(prim: Primitive) -> str:
    return "".join(c if c.isalnum() else "_" for c in prim.name)


def _term(partial, call: str) -> str:
    """``g * ∂`` as source: a constant partial folds into the product."""
    if callable(partial):
        return f"g * {call}"
    c = float(partial)
    return "g" if c == 1.0 else "-g" if c == -1.0 else f"g * {c!r}"


def source(tab: Table) -> str:
    """The Python source of the sweeps for ``tab`` (without the kernel names' bindings)."""
    fwd, bwd, notes = [], [], []
    for prim in tab.prims:
        code, ident = tab.codes[prim], _ident(prim)
        partials = prim.scalar.partials
        notes.append(f"#   {code:3d} {prim.name}: forward {_fingerprint(prim.scalar.forward)}, "
                     f"partials {', '.join(_fingerprint(d) for d in partials)}")
        branch = "if" if code == 1 else "elif"
        if len(partials) == 1:
            fwd.append(f"        {branch} op == {code}:\n"
                       f"            vals[i] = f_{ident}(vals[a0[i]])")
            bwd.append(f"        {branch} op == {code}:\n"
                       f"            if req[j]:\n"
                       f"                grads[j] += {_term(partials[0], f'd0_{ident}(x, out)')}")
        else:
            fwd.append(f"        {branch} op == {code}:\n"
                       f"            vals[i] = f_{ident}(vals[a0[i]], vals[a1[i]])")
            bwd.append(f"        {branch} op == {code}:\n"
                       f"            k = a1[i]\n"
                       f"            y = vals[k]\n"
                       f"            if req[j]:\n"
                       f"                grads[j] += {_term(partials[0], f'd0_{ident}(x, y, out)')}\n"
                       f"            if req[k]:\n"
                       f"                grads[k] += {_term(partials[1], f'd1_{ident}(x, y, out)')}")
    return f'''"""Sweeps of the compiled scalar tape, generated by engine.kernels.scalar_tape from
the primitive registry (generator {GENERATOR}); do not edit.

f_<op> is a primitive's float forward and d<k>_<op> its partial for argument k, bound
before this module runs.  Op codes and kernels (bytecode fingerprints):
{chr(10).join(notes)}
"""
from numba import njit


@njit(cache=True, error_model="numpy")
def tape_forward(ops, a0, a1, vals):
    """Recompute every non-leaf value from its arguments, in tape order."""
    for i in range(ops.shape[0]):
        op = ops[i]
        if op == 0:
            continue
{chr(10).join(fwd)}


@njit(cache=True, error_model="numpy")
def tape_backward(ops, a0, a1, vals, grads, req, root, seed):
    """Reverse sweep from ``root``: add each node's contribution to its arguments' grads."""
    grads[root] += seed
    for i in range(root, -1, -1):
        op = ops[i]
        if op == 0:
            continue
        g = grads[i]
        j = a0[i]
        x = vals[j]
        out = vals[i]
{chr(10).join(bwd)}
'''


def sweeps(tab: Table | None = None) -> types.ModuleType:
    """The compiled sweeps for ``tab`` (default: the current table), generated on first use."""
    tab = table() if tab is None else tab
    module = _by_version.get(tab.version)
    if module is None:
        text = source(tab)
        key = hashlib.sha256(text.encode()).hexdigest()[:20]
        with _lock:
            if key not in _modules:
                _modules[key] = _load(key, text, tab)
        module = _by_version[tab.version] = _modules[key]
    return module


def _load(key: str, text: str, tab: Table) -> types.ModuleType:
    path = CACHE_DIR / f"scalar_tape_{key}.py"
    if not path.exists():  # never rewritten: its timestamp keys Numba's on-disk cache
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=CACHE_DIR, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        _prune(keep=KEEP_MODULES)
    name = f"chainrule_scalar_tape_{key}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    vocab = _vocabulary(tab.prims)
    for prim in tab.prims:
        ident = _ident(prim)
        module.__dict__[f"f_{ident}"] = _compile(prim.scalar.forward, vocab)
        for k, d in enumerate(prim.scalar.partials):
            module.__dict__[f"d{k}_{ident}"] = _compile(d, vocab)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


KEEP_MODULES = 8
"""Generated modules kept on disk (the newest); older ones are left from other registries."""


def _prune(keep: int) -> None:
    """Delete all but the ``keep`` newest generated modules and their Numba caches."""
    modules = sorted(CACHE_DIR.glob("scalar_tape_*.py"), key=lambda p: p.stat().st_mtime)
    for old in modules[:-keep]:
        for f in [old, *(CACHE_DIR / "__pycache__").glob(f"{old.stem}.*")]:
            try:
                f.unlink()
            except OSError:  # another process may be using or removing it
                pass


def warm_up() -> None:
    """Compile (or load from the on-disk cache) both sweeps on a tiny tape."""
    tab = table()
    mul = tab.codes[registry.REGISTRY["mul"]]
    ops = np.array([0, 0, mul], dtype=tab.dtype)
    a0 = np.array([-1, -1, 0], dtype=np.int32)
    a1 = np.array([-1, -1, 1], dtype=np.int32)
    vals = np.array([2.0, 3.0, 0.0])
    grads = np.zeros(3)
    req = np.ones(3, dtype=np.bool_)
    k = sweeps(tab)
    k.tape_forward(ops, a0, a1, vals)
    k.tape_backward(ops, a0, a1, vals, grads, req, 2, 1.0)


__all__ = ["CACHE_DIR", "Table", "table", "source", "sweeps", "warm_up"]
