"""Icons for folders, buckets, connections and file types.

The desktop's icon theme is used where there is one (Linux desktops); elsewhere (Windows,
macOS, bare X servers) a small painted icon per file category keeps types recognisable. One
QMimeDatabase lookup per file extension, cached: a listing of a million files costs a dict
lookup per painted row.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QMimeDatabase, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

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


def _theme_icon(*names: str) -> QIcon | None:
    for name in names:
        if name and QIcon.hasThemeIcon(name):
            return QIcon.fromTheme(name)
    return None


@cache
def folder_icon() -> QIcon:
    return _theme_icon("folder") or QApplication.style().standardIcon(
        QStyle.StandardPixmap.SP_DirIcon
    )


@cache
def bucket_icon() -> QIcon:
    return _theme_icon("folder-cloud", "folder-remote") or _painted_bucket()


@cache
def connection_icon() -> QIcon:
    return _theme_icon("network-server", "network-workgroup") or QApplication.style().standardIcon(
        QStyle.StandardPixmap.SP_DriveNetIcon
    )


@cache
def error_icon() -> QIcon:
    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)


@cache
def busy_icon() -> QIcon:
    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload)


def file_icon(name: str) -> QIcon:
    dot = name.rfind(".")
    return _file_icon_for_extension(name[dot + 1 :].lower() if dot > 0 else "")


@cache
def _file_icon_for_extension(ext: str) -> QIcon:
    mime = _mime_db().mimeTypeForFile(
        f"x.{ext}" if ext else "x", QMimeDatabase.MatchMode.MatchExtension
    )
    themed = _theme_icon(mime.iconName(), mime.genericIconName())
    if themed is not None:
        return themed
    colour = next(
        (c for prefix, c in _CATEGORIES if mime.name().startswith(prefix)), _DEFAULT_COLOUR
    )
    return _painted_file(ext[:4].upper(), colour)


def _painted(draw: Callable[[QPainter, int], None]) -> QIcon:
    """An icon with pixmaps at the usual sizes, each drawn by ``draw(painter, size)``."""
    icon = QIcon()
    for size in (16, 24, 32, 48):
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        draw(painter, size)
        painter.end()
        icon.addPixmap(pix)
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
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(colour))
        p.drawRoundedRect(band, size * 0.04, size * 0.04)
        if label and size >= 24:
            font = QFont()
            font.setPixelSize(max(6, int(size * 0.22)))
            font.setBold(True)
            p.setFont(font)
            p.setPen(QColor("white"))
            p.drawText(band, Qt.AlignmentFlag.AlignCenter, label)

    return _painted(draw)


def _painted_bucket() -> QIcon:
    """A pail seen slightly from above."""

    def draw(p: QPainter, size: int) -> None:
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

    return _painted(draw)
