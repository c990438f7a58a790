"""Write the app icon files from its one drawing (``cloudbrowser/gui/app_icon.py``), and
the window's fixed icons from theirs (``cloudbrowser/gui/icons.py``).

    QT_QPA_PLATFORM=offscreen python resources/make_icons.py

Writes, into ``resources/icons/``:

* ``cloudbrowser.svg`` — scalable, for launchers and AppStream (through QSvgGenerator);
* ``hicolor/NxN/apps/cloudbrowser.png`` for N in 16…256 — the freedesktop icon theme
  layout that ``packaging/install.sh`` copies into ``~/.local/share/icons``;
* ``cloudbrowser.ico`` (Windows: 16–256 in one file) and ``cloudbrowser.icns`` (macOS),
  PNG-compressed entries written by hand, so no image library is needed;
and into ``cloudbrowser/gui/data/icons/`` (shipped in the package, as a wheel has no
``resources/``):

* ``NAME-SIZE.png`` — each of ``icons.DRAWINGS`` at each of ``icons.SIZES``: the window
  loads them instead of painting them before its first frame (see gui/icons.py;
  ``tests/gui/test_icons.py`` checks that they are what the drawings paint).

The files are committed; run this again after changing the drawing.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize  # noqa: E402
from PySide6.QtGui import QGuiApplication, QPainter, QPixmap  # noqa: E402
from PySide6.QtSvg import QSvgGenerator  # noqa: E402

from cloudbrowser.gui import icons  # noqa: E402
from cloudbrowser.gui.app_icon import SIZES, app_pixmap, paint_app_icon  # noqa: E402

OUT = ROOT / "resources" / "icons"
#: macOS icon types holding PNG data, by pixel size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}


def png_bytes(pixmap: QPixmap) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def write_svg(path: Path, size: int = 64) -> None:
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QSize(size, size))
    generator.setViewBox(QRect(0, 0, size, size))
    generator.setTitle("cloudbrowser")
    generator.setDescription("A folder in a cloud: a file manager for S3 storage")
    painter = QPainter(generator)
    paint_app_icon(painter, size)
    painter.end()


def write_ico(path: Path, sizes: tuple[int, ...]) -> None:
    """ICO with PNG entries (Windows Vista and later read them)."""
    images = [png_bytes(app_pixmap(s)) for s in sizes]
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries = b""
    for size, data in zip(sizes, images, strict=True):
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    path.write_bytes(header + entries + b"".join(images))


def write_icns(path: Path) -> None:
    chunks = b""
    for size, kind in ICNS_TYPES.items():
        data = png_bytes(app_pixmap(size))
        chunks += kind + struct.pack(">I", 8 + len(data)) + data
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks)


def main() -> None:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 (pixmaps need an application)
    OUT.mkdir(parents=True, exist_ok=True)
    write_svg(OUT / "cloudbrowser.svg")
    for size in SIZES:
        folder = OUT / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cloudbrowser.png").write_bytes(png_bytes(app_pixmap(size)))
    write_ico(OUT / "cloudbrowser.ico", (16, 24, 32, 48, 64, 128, 256))
    write_icns(OUT / "cloudbrowser.icns")
    write_window_icons(icons.shipped_icons_dir())
    print(f"wrote {OUT}")


def write_window_icons(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in icons.DRAWINGS.items():
        for size in icons.SIZES:
            pixmap = icons.painted_pixmap(draw, size)
            (folder / f"{name}-{size}.png").write_bytes(png_bytes(pixmap))


if __name__ == "__main__":
    main()
