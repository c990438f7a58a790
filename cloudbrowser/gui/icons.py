"""The app's icons: folders, buckets, connections, file types and the toolbar's actions.

One set, painted with QPainter, everywhere: the same pictures on Linux, Windows and macOS,
in light and dark themes. The desktop's icon theme is not used (under a dark GTK theme it
turned buckets into network drives and Delete into a green recycling sign), nor are Qt's
standard pixmaps, which come from that theme where there is one. Colours are mid-tones
that read on a light and on a dark background alike. Each icon is painted once, when first
asked for; a file type is one QMimeDatabase lookup per extension, cached: a listing of a
million files costs a dict lookup per painted row.

The fixed icons (:data:`DRAWINGS`) are also committed as PNG files in ``gui/data/icons/``,
painted by this code (``resources/make_icons.py``; ``tests/gui/test_icons.py`` checks they
match), and loaded from there when present: the toolbar's are needed before the window's
first frame, and painting from Python then would build the ``Qt`` namespace's enums
(~16 ms, ``gui/qt_values.py``): PySide's overload choice of ``QPainter.setPen``/
``setBrush`` names ``Qt.PenStyle``/``Qt.BrushStyle``. Where the files are missing, they
are painted.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from PySide6 import QtCore
from PySide6.QtCore import QMimeDatabase, QPointF, QRectF, QSize
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from cloudbrowser.gui.resources import data_dir

#: The pixel sizes each icon has.
SIZES = (16, 24, 32, 48)

#: Mid-tone colours, readable on light and dark window backgrounds.
BLUE = "#2f80d1"
GREEN = "#2e9b57"
RED = "#d64541"
AMBER = "#e5a50a"
FOLDER = "#f0b43c"
FOLDER_EDGE = "#b7801a"
SLATE = "#6b7c8f"

#: Mime-type prefix or name → (category label colour, fallback theme icon name).
_CATEGORIES: list[tuple[str, str]] = [
    ("image/", "#8e44ad"),
    ("video/", "#c0392b"),
    ("audio/", "#d35400"),
    ("text/csv", "#27ae60"),
    ("application/json", "#f39c12"),
    ("application/pdf", "#e74c3c"),
    ("text/", "#2980b9"),
    ("application/x-compressed-tar", "#7f8c8d"),
    ("application/gzip", "#7f8c8d"),
    ("application/zip", "#7f8c8d"),
]
_DEFAULT_COLOUR = "#95a5a6"


@cache
def _mime_db() -> QMimeDatabase:
    return QMimeDatabase()


@cache
def folder_icon() -> QIcon:
    return _fixed("folder")


@cache
def bucket_icon() -> QIcon:
    return _fixed("bucket")


@cache
def connection_icon() -> QIcon:
    return _fixed("connection")


@cache
def error_icon() -> QIcon:
    return _fixed("error")


@cache
def busy_icon() -> QIcon:
    return refresh_icon()


# ── the toolbar's actions ──────────────────────────────────────────────────────────────


@cache
def back_icon() -> QIcon:
    return _fixed("back")


@cache
def forward_icon() -> QIcon:
    return _fixed("forward")


@cache
def up_icon() -> QIcon:
    return _fixed("up")


@cache
def refresh_icon() -> QIcon:
    return _fixed("refresh")


@cache
def upload_icon() -> QIcon:
    return _fixed("upload")


@cache
def download_icon() -> QIcon:
    return _fixed("download")


@cache
def new_folder_icon() -> QIcon:
    return _fixed("new_folder")


@cache
def delete_icon() -> QIcon:
    return _fixed("delete")


@cache
def connections_icon() -> QIcon:
    return connection_icon()


def file_icon(name: str) -> QIcon:
    dot = name.rfind(".")
    return _file_icon_for_extension(name[dot + 1 :].lower() if dot > 0 else "")


@cache
def _file_icon_for_extension(ext: str) -> QIcon:
    mime = _mime_db().mimeTypeForFile(
        f"x.{ext}" if ext else "x", QMimeDatabase.MatchMode.MatchExtension
    )
    colour = next(
        (c for prefix, c in _CATEGORIES if mime.name().startswith(prefix)), _DEFAULT_COLOUR
    )
    return _painted_file(ext[:4].upper(), colour)


def painted_pixmap(draw: Callable[[QPainter, int], None], size: int) -> QPixmap:
    """``draw(painter, size)`` on a transparent ``size``-pixel square."""
    pix = QPixmap(size, size)
    pix.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw(painter, size)
    painter.end()
    return pix


def _painted(draw: Callable[[QPainter, int], None]) -> QIcon:
    """An icon with pixmaps at the usual sizes, each drawn by ``draw(painter, size)``."""
    icon = QIcon()
    for size in SIZES:
        pix = painted_pixmap(draw, size)
        icon.addPixmap(pix)
        # A selected row shows the picture as it is, not tinted with the highlight.
        icon.addPixmap(pix, QIcon.Mode.Selected)
    return icon


def shipped_icons_dir() -> Path:
    """Where the fixed icons' PNG files are (``NAME-SIZE.png``)."""
    return data_dir() / "icons"


def _fixed(name: str) -> QIcon:
    """One of :data:`DRAWINGS`: from its PNG files where they are, else painted."""
    folder = shipped_icons_dir()
    files = [(size, folder / f"{name}-{size}.png") for size in SIZES]
    if not all(path.is_file() for _, path in files):
        return _painted(DRAWINGS[name])
    icon = QIcon()
    for size, path in files:
        for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):  # as _painted
            icon.addFile(str(path), QSize(size, size), mode)
    return icon


def _painted_file(label: str, colour: str) -> QIcon:
    """A page with a folded corner and a coloured band carrying the extension."""

    def draw(p: QPainter, size: int) -> None:
        w = size * 0.72
        page = QRectF((size - w) / 2, size * 0.06, w, size * 0.88)
        fold = w * 0.3
        path = QPainterPath()
        path.moveTo(page.left(), page.top())
        path.lineTo(page.right() - fold, page.top())
        path.lineTo(page.right(), page.top() + fold)
        path.lineTo(page.right(), page.bottom())
        path.lineTo(page.left(), page.bottom())
        path.closeSubpath()
        p.setPen(QPen(QColor("#7b8a8b"), max(1.0, size / 24)))
        p.setBrush(QColor("#fdfefe"))
        p.drawPath(path)
        band = QRectF(
            page.left() - size * 0.06, page.bottom() - size * 0.42, w + size * 0.12, size * 0.3
        )
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QColor(colour))
        p.drawRoundedRect(band, size * 0.04, size * 0.04)
        if label and size >= 24:
            from PySide6.QtGui import QFont  # with the first file's icon, not at start

            font = QFont()
            font.setPixelSize(max(6, int(size * 0.22)))
            font.setBold(True)
            p.setFont(font)
            p.setPen(QColor("white"))
            p.drawText(band, QtCore.Qt.AlignmentFlag.AlignCenter, label)

    return _painted(draw)


def _draw_bucket(p: QPainter, size: int) -> None:
    """A pail seen slightly from above."""
    top, bottom = size * 0.18, size * 0.88
    path = QPainterPath()
    path.moveTo(size * 0.12, top)
    path.lineTo(size * 0.88, top)
    path.lineTo(size * 0.76, bottom)
    path.lineTo(size * 0.24, bottom)
    path.closeSubpath()
    p.setPen(QPen(QColor("#b9770e"), max(1.0, size / 24)))
    p.setBrush(QColor("#f5b041"))
    p.drawPath(path)
    p.setBrush(QColor("#fad7a0"))
    p.drawEllipse(QRectF(size * 0.12, top - size * 0.08, size * 0.76, size * 0.16))


# ── glyphs, drawn on a 24-by-24 grid and scaled to each size ─────────────────────────────

Points = list[tuple[float, float]]


def _scaled(draw: Callable[[QPainter], None]) -> Callable[[QPainter, int], None]:
    """``draw``, made on the 24-by-24 grid, at each size."""

    def scaled(p: QPainter, size: int) -> None:
        p.scale(size / 24, size / 24)
        draw(p)

    return scaled


def _pen(colour: str, width: float) -> QPen:
    pen = QPen(QColor(colour), width)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
    return pen


def _stroked(colour: str, *lines: Points) -> Callable[[QPainter], None]:
    """Draws each polyline in ``colour`` with a bold round pen (arrows, trays)."""

    def draw(p: QPainter) -> None:
        p.setPen(_pen(colour, 2.6))
        for line in lines:
            path = QPainterPath(QPointF(*line[0]))
            for point in line[1:]:
                path.lineTo(QPointF(*point))
            p.drawPath(path)

    return draw


def _draw_folder(p: QPainter) -> None:
    path = QPainterPath(QPointF(2, 6))
    for x, y in ((2, 4.5), (3, 3.5), (9, 3.5), (11, 6), (21, 6), (22, 7), (22, 19), (21, 20)):
        path.lineTo(x, y)
    path.lineTo(3, 20)
    path.lineTo(2, 19)
    path.closeSubpath()
    p.setPen(QPen(QColor(FOLDER_EDGE), 1.2))
    p.setBrush(QColor(FOLDER))
    p.drawPath(path)
    p.setPen(QPen(QColor(FOLDER_EDGE), 1.0))
    p.drawLine(QPointF(2.5, 8.5), QPointF(21.5, 8.5))


def _draw_server(p: QPainter) -> None:
    p.setPen(QtCore.Qt.PenStyle.NoPen)
    for top in (3.0, 13.0):
        p.setBrush(QColor(SLATE))
        p.drawRoundedRect(QRectF(3, top, 18, 8), 2, 2)
        p.setBrush(QColor("#7ee2a8"))
        p.drawEllipse(QRectF(16, top + 2.8, 2.5, 2.5))
        p.setBrush(QColor("#dfe6ee"))
        p.drawRect(QRectF(6, top + 3.3, 7, 1.5))


def _draw_warning(p: QPainter) -> None:
    path = QPainterPath(QPointF(12, 2.5))
    path.lineTo(22.5, 21)
    path.lineTo(1.5, 21)
    path.closeSubpath()
    p.setPen(_pen("#b07d05", 1.2))
    p.setBrush(QColor(AMBER))
    p.drawPath(path)
    p.setPen(_pen("#1b1b1b", 2.4))
    p.drawLine(QPointF(12, 9), QPointF(12, 14))
    p.drawPoint(QPointF(12, 17.8))


def _draw_refresh(p: QPainter) -> None:
    p.setPen(_pen(BLUE, 2.6))
    p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(4.5, 4.5, 15, 15), 80 * 16, 290 * 16)
    head = QPainterPath(QPointF(11.5, 0.8))
    head.lineTo(16.5, 4.6)
    head.lineTo(11.2, 8.4)
    head.closeSubpath()
    p.setPen(QtCore.Qt.PenStyle.NoPen)
    p.setBrush(QColor(BLUE))
    p.drawPath(head)


def _draw_trash(p: QPainter) -> None:
    p.setPen(_pen(RED, 2.0))
    p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    p.drawLine(QPointF(4, 6.5), QPointF(20, 6.5))
    p.drawPolyline([QPointF(9.5, 6.5), QPointF(9.5, 3.5), QPointF(14.5, 3.5), QPointF(14.5, 6.5)])
    body = QPainterPath(QPointF(6, 6.5))
    body.lineTo(7.2, 20.5)
    body.lineTo(16.8, 20.5)
    body.lineTo(18, 6.5)
    p.drawPath(body)
    p.setPen(_pen(RED, 1.6))
    for x in (10, 14):
        p.drawLine(QPointF(x, 10), QPointF(x, 17))


def _draw_new_folder(p: QPainter) -> None:
    _draw_folder(p)
    p.setPen(QtCore.Qt.PenStyle.NoPen)
    p.setBrush(QColor(GREEN))
    p.drawEllipse(QRectF(12.5, 11.5, 11, 11))
    p.setPen(_pen("white", 2.0))
    p.drawLine(QPointF(18, 14), QPointF(18, 20))
    p.drawLine(QPointF(15, 17), QPointF(21, 17))


#: The fixed icons by name, each drawn by ``draw(painter, size)``: committed as PNG files
#: (``resources/make_icons.py``), loaded by :func:`_fixed`.
DRAWINGS: dict[str, Callable[[QPainter, int], None]] = {
    "folder": _scaled(_draw_folder),
    "connection": _scaled(_draw_server),
    "error": _scaled(_draw_warning),
    "refresh": _scaled(_draw_refresh),
    "delete": _scaled(_draw_trash),
    "back": _scaled(_stroked(BLUE, [(19, 12), (5, 12)], [(11, 6), (5, 12), (11, 18)])),
    "forward": _scaled(_stroked(BLUE, [(5, 12), (19, 12)], [(13, 6), (19, 12), (13, 18)])),
    "up": _scaled(_stroked(BLUE, [(12, 19), (12, 5)], [(6, 11), (12, 5), (18, 11)])),
    "upload": _scaled(
        _stroked(
            GREEN,
            [(12, 15), (12, 3)],
            [(7, 8), (12, 3), (17, 8)],
            [(4, 15), (4, 20), (20, 20), (20, 15)],
        )
    ),
    "download": _scaled(
        _stroked(
            BLUE,
            [(12, 3), (12, 15)],
            [(7, 10), (12, 15), (17, 10)],
            [(4, 15), (4, 20), (20, 20), (20, 15)],
        )
    ),
    "new_folder": _scaled(_draw_new_folder),
    "bucket": _draw_bucket,
}
