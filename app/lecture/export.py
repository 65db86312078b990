"""Export what a view shows: PNG (at a scale, 2x for slides), SVG, and GIF/MP4 animations.

Stills are *rendered* (``QWidget.render``), never screen-grabbed, so they work
offscreen and on a headless machine.  Animations step a :class:`~app.lecture.scenes.SceneHost`
through its steps and hand the frames to imageio (Pillow for GIF, ffmpeg for MP4).
:func:`export_animation` is a generator that yields after every frame: the
command line simply runs it to the end, the app runs it as a job on the GUI thread
(:class:`AnimationJob`), a few frames per timer tick behind a progress dialog
whose Cancel closes it (the partial file is removed).
"""
from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QProgressDialog, QWidget

from viewmodel.jobs import Job, Outcome
from widgets.jobs import JobWatcher

STILL_FORMATS = (".png", ".svg")
ANIMATION_FORMATS = (".gif", ".mp4")


class ExportError(ValueError):
    """An export that cannot be done (unknown format, nothing to animate, write failure)."""


class Steppable(Protocol):
    """What an animation export needs: a widget to render and steps to walk through."""

    def picture(self) -> QWidget: ...
    def step_count(self) -> int: ...
    def set_step(self, step: int) -> None: ...


def render_image(widget: QWidget, scale: float = 1.0) -> QImage:
    """The widget drawn at ``scale`` times its size (device pixel ratio, so text stays sharp)."""
    size = widget.size()
    image = QImage(round(size.width() * scale), round(size.height() * scale), QImage.Format_RGB32)
    image.setDevicePixelRatio(scale)
    image.fill(widget.palette().window().color())
    QWidget.render(widget, image)  # QWidget's, not an override such as QGraphicsView.render
    image.setDevicePixelRatio(1.0)
    return image


def save_png(widget: QWidget, path: str | Path, scale: float = 1.0) -> None:
    """Write the widget as a PNG at ``scale`` (2 for crisp slides)."""
    if not render_image(widget, scale).save(str(path), "PNG"):
        raise ExportError(f"could not write {path}")


def save_svg(widget: QWidget, path: str | Path, title: str = "Chainrule") -> None:
    """Write the widget as SVG (vector where the view draws vectors)."""
    size: QSize = widget.size()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription("Exported from Chainrule")
    painter = QPainter(generator)
    try:  # an error mid-render must not leave a half-written SVG behind
        QWidget.render(widget, painter, QPoint())
    except BaseException:
        painter.end()
        Path(path).unlink(missing_ok=True)
        raise
    painter.end()
    if not Path(path).exists():
        raise ExportError(f"could not write {path}")


def image_to_array(image: QImage) -> np.ndarray:
    """An H×W×3 uint8 RGB copy of a QImage (what imageio expects)."""
    rgb = image.convertToFormat(QImage.Format_RGB888)
    h, w = rgb.height(), rgb.width()
    buffer = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=rgb.bytesPerLine() * h)
    return buffer.reshape(h, rgb.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def _writer(path: Path, fps: float):
    import imageio.v2 as imageio
    if path.suffix == ".gif":
        return imageio.get_writer(path, mode="I", duration=1000.0 / fps, loop=0)
    return imageio.get_writer(path, format="FFMPEG", mode="I", fps=fps, codec="libx264",
                              pixelformat="yuv420p", macro_block_size=1, ffmpeg_log_level="error")


def export_animation(source: Steppable, path: str | Path, fps: float = 2.0, scale: float = 1.0,
                     ) -> Iterator[tuple[int, int]]:
    """Render every step of ``source`` into a GIF or MP4, yielding (frames done, total) after each.

    Closing the generator early (Cancel) removes the partial file; the view is left
    at the step it was on before.
    """
    path = Path(path)
    if path.suffix not in ANIMATION_FORMATS:
        raise ExportError(f"{path.name}: animations are {' or '.join(ANIMATION_FORMATS)}")
    total = source.step_count()
    if total < 2:
        raise ExportError("this scene has no steps to animate; export it as PNG or SVG")
    writer = _writer(path, fps)
    finished = False
    try:
        for step in range(total):
            source.set_step(step)
            frame = image_to_array(render_image(source.picture(), scale))
            if path.suffix == ".mp4":  # yuv420p needs even sides
                frame = frame[: frame.shape[0] // 2 * 2, : frame.shape[1] // 2 * 2]
            writer.append_data(frame)
            yield step + 1, total
        finished = True
    finally:
        writer.close()
        if not finished:
            with suppress(FileNotFoundError):
                path.unlink()


def export_still(widget: QWidget, path: str | Path, scale: float = 1.0) -> None:
    """PNG or SVG by the file's suffix."""
    path = Path(path)
    if path.suffix == ".png":
        save_png(widget, path, scale)
    elif path.suffix == ".svg":
        save_svg(widget, path)
    else:
        raise ExportError(f"{path.name}: stills are {' or '.join(STILL_FORMATS)}")


class AnimationJob(JobWatcher):
    """Runs :func:`export_animation` as a job on the GUI thread, a few frames per timer tick, behind a
    progress dialog: the same signals and cancel as every background job (:mod:`widgets.jobs`).

    The GUI stays responsive without ``processEvents``; Cancel stops the job and removes the
    partial file.  ``finished(outcome)`` reports how it went; :meth:`summary` says it in words.
    """

    def __init__(self, source: Steppable, path: str | Path, parent: QWidget | None = None,
                 fps: float = 2.0, scale: float = 1.0, frames_per_tick: int = 2):
        self.path = Path(path)
        frames = export_animation(source, path, fps, scale)

        def work(job: Job):
            try:
                for done, total in frames:
                    job.report(done, total, f"frame {done} of {total}")
                    yield
            finally:
                frames.close()  # a cancelled export removes its partial file

        super().__init__(Job(work, name=f"export {self.path.name}"), parent, on_gui_thread=True,
                         steps_per_tick=frames_per_tick)
        self.dialog = QProgressDialog(f"Exporting {self.path.name}…", "Cancel", 0, source.step_count(), parent)
        self.dialog.setWindowTitle("Export animation")
        self.dialog.setMinimumDuration(300)
        self.dialog.canceled.connect(self.cancel)
        self.progress.connect(lambda done, _total, _text: self.dialog.setValue(done))
        self.finished.connect(lambda _outcome: self.dialog.reset())

    def summary(self, outcome: Outcome) -> str:
        """The outcome in words, for the status bar."""
        if outcome.status == "done":
            return f"Exported {self.path}"
        if outcome.status == "cancelled":
            return f"Export of {self.path.name} cancelled"
        return f"Export failed: {outcome.message}"
