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

from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsView, QLabel, QProgressDialog, QSizePolicy, QVBoxLayout, QWidget

from widgets.theme import Theme

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


def save_png(widget: QWidget, path: str | Path, scale: float = 1.0, size: tuple[int, int] | None = None) -> None:
    """Write the widget as a PNG at ``scale`` (2 for crisp slides); ``size``: exactly that many logical pixels."""
    image = render_image(widget, scale)
    if size is not None:
        image = exact_size(image, round(size[0] * scale), round(size[1] * scale))
    if not image.save(str(path), "PNG"):
        raise ExportError(f"could not write {path}")


@contextmanager
def _uncached(widget: QWidget) -> Iterator[None]:
    """Graphics views inside ``widget`` paint their background directly while this lasts, so an SVG
    gets the graph painter's (and the plots') shapes and text as vectors, not a cached bitmap."""
    views = [widget] if isinstance(widget, QGraphicsView) else []
    views += widget.findChildren(QGraphicsView)
    modes = [v.cacheMode() for v in views]
    for v in views:
        v.setCacheMode(QGraphicsView.CacheNone)
    try:
        yield
    finally:
        for v, mode in zip(views, modes):
            v.setCacheMode(mode)
            v.resetCachedContent()


def save_svg(widget: QWidget, path: str | Path, title: str = "Chainrule") -> None:
    """Write the widget as SVG: nodes, edges, plots and text as SVG elements (graphics views paint
    uncached for it, see :func:`_uncached`)."""
    size: QSize = widget.size()
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRect(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription("Exported from Chainrule")
    painter = QPainter(generator)
    try:  # an error mid-render must not leave a half-written SVG behind
        with _uncached(widget):
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
                     steps: range | None = None, size: tuple[int, int] | None = None) -> Iterator[tuple[int, int]]:
    """Render ``steps`` of ``source`` (default: all) into a GIF or MP4, yielding (frames done, total) after each;
    ``size``: every frame exactly that many (logical) pixels.

    Closing the generator early (Cancel) removes the partial file; the view is left
    at the step it was on before.
    """
    path = Path(path)
    if path.suffix not in ANIMATION_FORMATS:
        raise ExportError(f"{path.name}: animations are {' or '.join(ANIMATION_FORMATS)}")
    steps = range(source.step_count()) if steps is None else steps
    total = len(steps)
    if total < 2:
        raise ExportError("this scene has no steps to animate; export it as PNG or SVG"
                          + (f" (its story is step {steps[0]} alone: give it an 'until')" if total else ""))
    if size is None:  # every frame the first one's size, even if the window changes meanwhile
        first = source.picture().size()
        size = (first.width(), first.height())
    writer = _writer(path, fps)
    finished = False
    try:
        for done, step in enumerate(steps, start=1):
            source.set_step(step)
            image = render_image(source.picture(), scale)
            if size is not None:
                image = exact_size(image, round(size[0] * scale), round(size[1] * scale))
            frame = image_to_array(image)
            if path.suffix == ".mp4":  # yuv420p needs even sides
                frame = frame[: frame.shape[0] // 2 * 2, : frame.shape[1] // 2 * 2]
            writer.append_data(frame)
            yield done, total
        finished = True
    finally:
        writer.close()
        if not finished:
            with suppress(FileNotFoundError):
                path.unlink()


def export_still(widget: QWidget, path: str | Path, scale: float = 1.0, size: tuple[int, int] | None = None) -> None:
    """PNG or SVG by the file's suffix (a PNG exactly ``size`` × ``scale`` when given)."""
    path = Path(path)
    if path.suffix == ".png":
        save_png(widget, path, scale, size)
    elif path.suffix == ".svg":
        save_svg(widget, path)
    else:
        raise ExportError(f"{path.name}: stills are {' or '.join(STILL_FORMATS)}")


class SlideFrame(QWidget):
    """What an exported frame shows: the scene's title above the picture and its caption below
    (``captioned=False``: the picture alone), in the theme's colours, at exactly the size it is given."""

    def __init__(self, picture: QWidget, theme: Theme, captioned: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.theme = theme
        self.title, self.caption = QLabel(), QLabel()
        self.caption.setTextFormat(Qt.MarkdownText)
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6) if captioned else layout.setContentsMargins(0, 0, 0, 0)
        for label in (self.title, self.caption):
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widen the frame
            label.setVisible(captioned)
        picture.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)  # the frame's size decides, not the view's
        layout.addWidget(self.title)
        layout.addWidget(picture, 1)
        layout.addWidget(self.caption)
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"SlideFrame {{ background: {theme.background}; }}"
                           f"QLabel {{ color: {theme.text}; background: transparent; }}")

    def set_scene(self, title: str, caption: str) -> None:
        """The scene's words, in type sized for the frame (18 px and up)."""
        px = max(18, round(self.height() / 26))
        self.title.setStyleSheet(f"font-size: {round(px * 1.3)}px; font-weight: bold;")
        self.caption.setStyleSheet(f"font-size: {px}px;")
        self.title.setText(title)
        self.caption.setText(caption)
        self.caption.setVisible(self.title.isVisibleTo(self) and bool(caption))

    def stepping(self, host: Steppable) -> Steppable:
        """``host``'s steps, rendered as this frame (for :func:`export_animation`)."""
        return _Framed(self, host)


class _Framed:
    """A scene host stepped while its slide frame is what is rendered (a :class:`Steppable`)."""

    def __init__(self, frame: "SlideFrame", host: Steppable):
        self.frame, self.host = frame, host

    def picture(self) -> QWidget:
        return self.frame

    def step_count(self) -> int:
        return self.host.step_count()

    def set_step(self, step: int) -> None:
        self.host.set_step(step)


def exact_size(image: QImage, width: int, height: int) -> QImage:
    """``image`` at exactly width × height (scaled, smoothly, only when the view insisted on another size)."""
    if (image.width(), image.height()) == (width, height):
        return image
    return image.scaled(width, height, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)


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
