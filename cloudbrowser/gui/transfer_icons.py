"""Direction icons for the Transfers panel: an arrow leaving or entering a tray.

The style's up and down arrows are bare triangles, and a triangle pointing down reads as a
tree's expander (the panel is a tree: a batch expands into its files). An arrow with a
shaft, over a tray, is what file managers and browsers show for upload and download; the
two differ in colour as well as direction, and look the same in light and dark themes.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

#: Colours readable on light and dark backgrounds alike.
_UPLOAD = "#2e86c1"
_DOWNLOAD = "#229954"


@cache
def upload_icon() -> QIcon:
    return _arrow_icon(up=True, colour=_UPLOAD)


@cache
def download_icon() -> QIcon:
    return _arrow_icon(up=False, colour=_DOWNLOAD)


def _arrow_icon(*, up: bool, colour: str) -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32, 48):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _draw_arrow(painter, size, up=up, colour=QColor(colour))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def _draw_arrow(p: QPainter, size: int, *, up: bool, colour: QColor) -> None:
    stroke = max(1.5, size / 9)
    pen = QPen(colour, stroke, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    # The tray: a U at the bottom.
    tray = QPainterPath()
    tray.moveTo(size * 0.14, size * 0.62)
    tray.lineTo(size * 0.14, size * 0.86)
    tray.lineTo(size * 0.86, size * 0.86)
    tray.lineTo(size * 0.86, size * 0.62)
    p.drawPath(tray)
    # The arrow: a shaft and a filled head, pointing out of the tray or into it.
    centre = size / 2
    top, bottom = size * 0.08, size * 0.70
    p.drawLine(QPointF(centre, top + size * 0.18), QPointF(centre, bottom - size * 0.18))
    head = QPainterPath()
    half = size * 0.24
    if up:
        head.moveTo(centre, top)
        head.lineTo(centre - half, top + half * 1.1)
        head.lineTo(centre + half, top + half * 1.1)
    else:
        head.moveTo(centre, bottom)
        head.lineTo(centre - half, bottom - half * 1.1)
        head.lineTo(centre + half, bottom - half * 1.1)
    head.closeSubpath()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    p.drawPath(head)
    p.setBrush(Qt.BrushStyle.NoBrush)
