"""The application icon, drawn with QPainter: one source for the window icon and the files.

The window icon is painted at run time, so it needs no data file in any kind of install
(``pip install``, editable checkout, frozen bundle) and no SVG plugin. ``resources/make_icons.py``
paints the same picture into ``resources/icons/`` (an SVG through QSvgGenerator and PNGs of
16–256 px) for the desktop integration: launchers, taskbars and AppStream.

The picture: a white cloud on a blue rounded square, with a folder in the cloud. The
cloud reads at 16 px; the folder appears from 32 px up, where it has room.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QIcon,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPixmap,
)

#: The PNG sizes of the freedesktop hicolor theme that ``resources/icons/`` carries.
SIZES = (16, 24, 32, 48, 64, 128, 256)
TOP = QColor("#3b82f6")
BOTTOM = QColor("#1d4ed8")
FOLDER = QColor("#1e40af")


def paint_app_icon(painter: QPainter, size: float) -> None:
    """Paint the icon into the square (0, 0, size, size) of ``painter``."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0  # drawn on a 64-unit grid
    inset = 2 * s if size >= 24 else 0.5 * s
    square = QRectF(inset, inset, size - 2 * inset, size - 2 * inset)
    gradient = QLinearGradient(square.topLeft(), square.bottomLeft())
    gradient.setColorAt(0, TOP)
    gradient.setColorAt(1, BOTTOM)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(gradient))
    painter.drawRoundedRect(square, 13 * s, 13 * s)

    cloud = QPainterPath()
    cloud.setFillRule(Qt.FillRule.WindingFill)  # overlapping shapes unite, no holes
    cloud.addEllipse(QPointF(23 * s, 35 * s), 11 * s, 11 * s)
    cloud.addEllipse(QPointF(35 * s, 28 * s), 14 * s, 14 * s)
    cloud.addEllipse(QPointF(45 * s, 37 * s), 9 * s, 9 * s)
    cloud.addRoundedRect(QRectF(12 * s, 34 * s, 42 * s, 14 * s), 7 * s, 7 * s)
    painter.setBrush(QColor("white"))
    painter.drawPath(cloud.simplified())

    if size >= 32:
        folder = QPainterPath()
        folder.setFillRule(Qt.FillRule.WindingFill)
        folder.addRoundedRect(QRectF(24 * s, 30 * s, 7 * s, 4 * s), 1 * s, 1 * s)  # the tab
        folder.addRoundedRect(QRectF(24 * s, 32 * s, 18 * s, 12 * s), 1.5 * s, 1.5 * s)
        painter.setBrush(FOLDER)
        painter.drawPath(folder.simplified())
    painter.restore()


def app_pixmap(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    paint_app_icon(painter, size)
    painter.end()
    return pixmap


def app_icon() -> QIcon:
    """The icon at every size, each painted for its size (not one bitmap scaled)."""
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(app_pixmap(size))
    return icon
