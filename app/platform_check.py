"""Can Qt start here?  Checked before PySide6 is imported, because Qt aborts the process otherwise.

On Linux, PySide6's wheels bring Qt but not the system libraries Qt links to (glib, EGL,
fontconfig, xkbcommon and, for a window on X11, a dozen xcb libraries).  A missing one makes
``import PySide6.QtCore`` fail or Qt abort (exit 134) with a message that often blames the
wrong library; with no display at all Qt aborts the same way.  :func:`problem` finds either
case first and says, in one paragraph, what to install or how to work headless, so
``chainrule`` can print it and exit 2.  macOS and Windows wheels are self-contained.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Mapping

DEBIAN_PACKAGES: dict[str, str] = {
    # Qt itself (also offscreen: --screenshot, export)
    "libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0", "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1", "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6",
    "libX11.so.6": "libx11-6", "libxkbcommon.so.0": "libxkbcommon0", "libdbus-1.so.3": "libdbus-1-3",
    # the xcb platform (a window on X11)
    "libX11-xcb.so.1": "libx11-xcb1", "libxcb.so.1": "libxcb1", "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-glx.so.0": "libxcb-glx0", "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    # the wayland platform
    "libwayland-client.so.0": "libwayland-client0", "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
"""The Debian/Ubuntu package of each system library that Qt's libraries and platform plugins link to
(from ``readelf -d``; the README's Setup section lists the same packages)."""

_PLUGINS = {"xcb": "libqxcb.so", "wayland": "libqwayland.so", "offscreen": "libqoffscreen.so",
            "minimal": "libqminimal.so", "vnc": "libqvnc.so"}
_DISPLAY_VARIABLE = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}
_NOT_FOUND = re.compile(r"^\s*(\S+) => not found", re.M)
_CANNOT_OPEN = re.compile(r"(\S+\.so[\w.]*): cannot open shared object file")
_HEADLESS = ("work without a window: `chainrule --screenshot out.png --example add-mul` renders the window "
             "to a PNG, `chainrule export LESSON --out FILE` renders lessons and `chainrule grad ...` prints numbers")


def _pyside_dir() -> Path | None:
    spec = importlib.util.find_spec("PySide6")  # finds the package without importing Qt
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _candidates(environ: Mapping[str, str], headless: bool) -> list[str]:
    """The platforms Qt would try, in order: QT_QPA_PLATFORM's list, else what the session offers
    (offscreen for a headless run without a display, as ``chainrule`` then sets)."""
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return [name.split(":")[0].strip() for name in chosen.split(";") if name.strip()]
    names = [name for name, variable in (("wayland", "WAYLAND_DISPLAY"), ("xcb", "DISPLAY")) if environ.get(variable)]
    return names or (["offscreen"] if headless else [])


def missing_libraries(files: list[Path]) -> list[str]:
    """System libraries (sonames) that ``files`` need and the dynamic loader cannot find.

    Loading them is the quick check (Qt loads the same files a moment later); only when
    that fails does ``ldd`` list every missing library, not just the first.
    """
    existing = [str(f) for f in files if f.exists()]
    first = None
    for f in existing:
        try:
            ctypes.CDLL(f)
        except OSError as exc:
            first = _CANNOT_OPEN.search(str(exc))
            break
    else:
        return []
    try:
        done = subprocess.run(["ldd", *existing], capture_output=True, text=True, timeout=20)
        found = _NOT_FOUND.findall(done.stdout)
        if found:
            return list(dict.fromkeys(found))
    except (OSError, subprocess.SubprocessError):
        pass
    return [first.group(1)] if first else []


def _reachable(name: str, environ: Mapping[str, str]) -> bool:
    """Whether the display server of platform ``name`` answers (X11 through libxcb, Wayland's socket)."""
    if name == "xcb":
        try:
            xcb = ctypes.CDLL("libxcb.so.1")
        except OSError:
            return True  # reported as a missing library instead
        xcb.xcb_connect.restype = ctypes.c_void_p
        xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
        xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
        connection = xcb.xcb_connect(environ["DISPLAY"].encode(), None)
        failed = xcb.xcb_connection_has_error(connection)
        xcb.xcb_disconnect(connection)
        return failed == 0
    if name == "wayland":
        socket = Path(environ.get("XDG_RUNTIME_DIR", "/nonexistent")) / environ["WAYLAND_DISPLAY"]
        return socket.exists() or Path(environ["WAYLAND_DISPLAY"]).exists()
    return True


def _install_hint(sonames: list[str]) -> str:
    packages = list(dict.fromkeys(DEBIAN_PACKAGES[s] for s in sonames if s in DEBIAN_PACKAGES))
    hint = f"On Debian or Ubuntu: sudo apt-get install {' '.join(packages)}" if packages else ""
    others = [s for s in sonames if s not in DEBIAN_PACKAGES]
    if others:
        hint += f"{'; ' if hint else ''}install the packages that provide {', '.join(others)}"
    return hint + " (the README's Setup section lists everything Qt needs, for Fedora too)."


def problem(headless: bool = False, environ: Mapping[str, str] | None = None,
            platform: str | None = None) -> str | None:
    """A paragraph saying what stops Qt from starting here, or None when nothing does.

    ``headless`` asks about Qt's offscreen platform (``--screenshot``, ``export``).
    """
    environ = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return None
    pyside = _pyside_dir()
    if pyside is None:
        return "PySide6 is not installed in this Python; install Chainrule with `pip install -e .` first."
    core = sorted(pyside.glob("QtCore.*so")) + sorted(pyside.glob("QtGui.*so")) + sorted(pyside.glob("QtWidgets.*so"))
    missing = missing_libraries(core)
    if missing:
        return (f"Qt cannot start: the system libraries {', '.join(missing)} are missing (Qt needs them even "
                f"without a window). {_install_hint(missing)} `chainrule grad ...` works without them.")
    platforms = _candidates(environ, headless)
    if not platforms:
        return ("There is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set, as over "
                "ssh or in a container). Run Chainrule in a desktop session or with `ssh -X`, or " + _HEADLESS
                + "; QT_QPA_PLATFORM=offscreen forces Qt's offscreen platform.")
    reasons, missing = [], []
    for name in platforms:
        variable = _DISPLAY_VARIABLE.get(name)
        plugin = pyside / "Qt" / "plugins" / "platforms" / _PLUGINS.get(name, f"libq{name}.so")
        if variable and not environ.get(variable):
            reasons.append(f"{name} needs {variable}, which is not set")
        elif not plugin.exists():
            reasons.append(f"this PySide6 has no {name} platform plugin")
        else:
            lacking = missing_libraries([plugin])
            if lacking:
                reasons.append(f"Qt's {name} platform needs the missing system libraries {', '.join(lacking)}")
                missing += [s for s in lacking if s not in missing]
            elif not _reachable(name, environ):
                reasons.append(f"the display {environ[variable]!r} ({variable}) does not answer")
            else:
                return None
    if missing:
        hint = f" {_install_hint(missing)}"
    elif any("does not answer" in r for r in reasons):
        hint = " Check that the display server runs and DISPLAY or WAYLAND_DISPLAY names it (over ssh: `ssh -X`)."
    else:
        hint = " Set QT_QPA_PLATFORM to a platform this machine has (xcb, wayland or offscreen)."
    return f"Qt cannot open a window here: {'; '.join(reasons)}.{hint} Meanwhile you can {_HEADLESS}."
