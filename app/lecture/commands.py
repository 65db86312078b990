"""``chainrule lessons`` and ``chainrule export``: lecture mode on the command line, no display needed.

``chainrule lessons`` prints one built-in lesson per line: id, number of scenes, title.
``chainrule export chain-rule --scene 4 --out slide.png`` renders one scene (PNG at
``--scale``, SVG) or its story (GIF, MP4: from the scene's own step to its ``until``) offscreen,
every frame exactly ``--size`` with the scene's title and caption (``--no-captions``: without).  The source may be
a built-in lesson id, a lesson .json or a saved .chainrule file.
This module imports no Qt until an export actually runs, so building the parser stays cheap.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from app.lecture.lessons import LessonError, builtin_lessons

EXPORT_SUFFIXES = (".png", ".svg", ".gif", ".mp4")


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit() or int(w) < 64 or int(h) < 48:
        raise argparse.ArgumentTypeError(f"--size takes WIDTHxHEIGHT, at least 64x48, got {text!r}")
    return int(w), int(h)


def _out(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise argparse.ArgumentTypeError(f"--out must end in {', '.join(EXPORT_SUFFIXES)}, got {text!r}")
    return path


def cmd_lessons(args: argparse.Namespace) -> int:
    """Print the built-in lessons: id, number of scenes, title (aligned columns)."""
    lessons = builtin_lessons()
    width = max(len(l.id) for l in lessons)
    for lesson in lessons:
        print(f"{lesson.id:<{width}}  {len(lesson.scenes):>2}  {lesson.title}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Render one scene of a lesson or saved file to PNG/SVG/GIF/MP4, headless."""
    from app import platform_check
    from app.output_path import unwritable
    if problem := unwritable(args.out) or platform_check.problem(headless=True):
        print(f"chainrule: {problem}", file=sys.stderr)
        return 2
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.lecture.export import ExportError, SlideFrame, export_animation, export_still
    from app.lecture.scenes import SceneHost
    from app.lecture.storage import open_lesson_or_file
    from widgets.theme import THEMES

    app = QApplication.instance() or QApplication(sys.argv[:1])
    try:
        document = open_lesson_or_file(args.source)
        scenes = document.lesson.scenes
        index = document.scene if args.scene is None else args.scene - 1
        if not 0 <= index < len(scenes):
            raise LessonError(f"--scene {index + 1}: {document.lesson.id} has scenes 1..{len(scenes)}")
        scene = scenes[index]
        theme = THEMES[args.theme]
        host = SceneHost(theme)
        frame = SlideFrame(host, theme, captioned=args.captions)
        frame.resize(*args.size)
        frame.show()
        app.processEvents()
        host.show_scene(scene)
        frame.resize(*args.size)  # a page made on demand may have asked for more room
        frame.set_scene(scene.title or document.lesson.title, scene.caption)
        host.wait_ready()
        app.processEvents()
        shown = frame.size()
        if (shown.width(), shown.height()) != args.size:
            print(f"chainrule: this view needs at least {shown.width()}x{shown.height()}; scaled to "
                  f"{args.size[0]}x{args.size[1]}", file=sys.stderr)
        if args.out.suffix.lower() in (".gif", ".mp4"):
            for done, total in export_animation(frame.stepping(host), args.out, fps=args.fps,
                                                scale=args.scale or 1.0, steps=host.story(), size=args.size):
                if sys.stderr.isatty():
                    print(f"\rframe {done}/{total}", end="", file=sys.stderr)
        else:
            export_still(frame, args.out, scale=args.scale or 2.0, size=args.size)
        host.close()
    except (LessonError, ExportError, OSError) as exc:
        print(f"chainrule: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


def add_lecture_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``lessons`` and ``export`` on the ``chainrule`` command's subparsers."""
    lessons = sub.add_parser("lessons", help="list the built-in lessons: id, scenes, title (chainrule lessons)",
                             description="List the built-in lessons: id, number of scenes, title.",
                             epilog="example:\n  chainrule lessons", formatter_class=argparse.RawDescriptionHelpFormatter)
    lessons.set_defaults(func=cmd_lessons)
    export = sub.add_parser(
        "export", formatter_class=argparse.RawDescriptionHelpFormatter,
        help="render a lesson scene to PNG/SVG or animate it to GIF/MP4, headless "
             "(chainrule export chain-rule --scene 3 --out s3.png)",
        description="Render one scene of a lesson or saved file; no display needed.",
        epilog="examples:\n  chainrule export chain-rule --scene 3 --out scene3.png --size 1920x1080\n"
               "  chainrule export vanishing-gradients --scene 2 --out scene2.mp4 --fps 4\n"
               "  chainrule export my-work.chainrule --out slide.svg --theme presenter")
    export.add_argument("source", metavar="LESSON_OR_FILE",
                        help="a built-in lesson id (see `chainrule lessons`), a lesson .json or a .chainrule file")
    export.add_argument("--scene", type=int, default=None,
                        help="1-based scene number (default: 1, or the scene a .chainrule file was saved at)")
    export.add_argument("--out", type=_out, required=True, help="file.png, file.svg, file.gif or file.mp4")
    export.add_argument("--size", type=_size, default=(1280, 720), help="picture size in pixels, e.g. 1920x1080")
    export.add_argument("--scale", type=float, default=None,
                        help="pixel scale (PNG default 2 for crisp slides; animations default 1)")
    export.add_argument("--theme", choices=("light", "dark", "presenter"), default="light", help="colour theme")
    export.add_argument("--fps", type=float, default=2.0, help="animation steps per second")
    export.add_argument("--no-captions", dest="captions", action="store_false",
                        help="leave out the scene's title and caption (the picture alone)")
    export.set_defaults(func=cmd_export)
