"""Retake README's screenshots from the real window on the demo server.

    Xvfb :99 -screen 0 1400x900x24 &
    DISPLAY=:99 python resources/make_screenshots.py [demo|clouds|dark|transfers ...]

Run it under a throw-away X server (not on your desktop: it opens windows there) with an
empty HOME and config dirs, so that nothing of yours shows (it sets them itself). The
window is the app's own MainWindow on the embedded demo server (cloudbrowser --demo); the
transfers one also uploads a few generated files and downloads a generated folder, slowed
by a bandwidth limit so that they are caught half-way. Each picture is the window grabbed
from the X screen (title bar excluded), saved as a 256-colour PNG in resources/.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent
ROOT = RESOURCES.parent
sys.path.insert(0, str(ROOT))


def _private_home() -> Path:
    """An empty HOME and cloudbrowser dirs, before anything reads them."""
    home = Path(tempfile.mkdtemp(prefix="cb-shots-"))
    os.environ["HOME"] = str(home)
    for name in ("CONFIG", "DATA", "CACHE", "LOG"):
        os.environ[f"CLOUDBROWSER_{name}_DIR"] = str(home / name.lower())
    for name in ("CONFIG", "DATA", "CACHE", "STATE", "RUNTIME"):
        os.environ[f"XDG_{name}_{'DIR' if name == 'RUNTIME' else 'HOME'}"] = str(home / f"x{name}")
    (home / "xRUNTIME").mkdir(mode=0o700)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    os.environ.setdefault("LANG", "en_GB.UTF-8")
    return home


HOME = _private_home()

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cloudbrowser.core.checksums import content_md5, md5_of  # noqa: E402
from cloudbrowser.core.entries import Entry  # noqa: E402
from cloudbrowser.demo import DEMO_CREDENTIALS, DemoServer  # noqa: E402
from cloudbrowser.gui.app import make_application, set_window_icon  # noqa: E402
from cloudbrowser.gui.navigation import Location  # noqa: E402
from cloudbrowser.gui.service import StorageService  # noqa: E402
from cloudbrowser.gui.transfer_settings import TransferSettings  # noqa: E402
from cloudbrowser.gui.widgets.main_window import ConnectionRequest, MainWindow  # noqa: E402

MiB = 1024 * 1024


def wait(condition: Callable[[], bool], seconds: float = 30) -> None:
    clock = QElapsedTimer()
    clock.start()
    while not condition():
        if clock.elapsed() > seconds * 1000:
            raise SystemExit(f"timed out waiting for {condition}")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def settle(seconds: float) -> None:
    """Run the event loop for ``seconds`` (deferred deletes and repaints included, which
    processEvents() alone leaves for later)."""
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def window_palette(pixels: Counter[int]) -> list[int]:
    """Up to 256 colours for ``pixels`` (ARGB → count): the commonest colour of each of the
    commonest groups of near colours (5 bits a channel), so that an icon's few red pixels
    keep a red of their own beside the thousands of shades of anti-aliased grey text."""
    groups: dict[int, list[tuple[int, int]]] = {}
    for colour, count in pixels.items():
        groups.setdefault(colour & 0xFFF8F8F8, []).append((count, colour))
    ranked = sorted(groups.values(), key=lambda members: -sum(c for c, _ in members))
    return [max(members)[1] for members in ranked[:256]]


def grab(window: MainWindow, name: str) -> None:
    """The window as the X server shows it (child windows and all), title bar excluded."""
    settle(0.5)
    screen = QGuiApplication.primaryScreen()
    top_left = window.mapToGlobal(window.rect().topLeft())
    picture = screen.grabWindow(0, top_left.x(), top_left.y(), window.width(), window.height())
    path = RESOURCES / f"screenshot-{name}.png"
    # 256 colours of the window's own, without dithering: its flat colours, lines and
    # text stay as they are (only the edges of anti-aliased text move to the nearest of
    # them), and the file is a fraction of the size (they are committed).
    image = picture.toImage().convertToFormat(QImage.Format.Format_RGB32)
    palette = window_palette(Counter(memoryview(image.constBits()).cast("I")))
    flat = image.convertToFormat(
        QImage.Format.Format_Indexed8, palette, Qt.ImageConversionFlag.AvoidDither
    )
    flat.save(str(path), "PNG", 0)
    print(f"{path.relative_to(ROOT)}: {picture.width()}x{picture.height()}")


def open_demo(window: MainWindow, server: DemoServer, name: str, location: str) -> str:
    settings = replace(server.settings(), name=name)
    window.open_connection(ConnectionRequest(settings, DEMO_CREDENTIALS, location))
    current = window.history.current
    assert current is not None
    wait(lambda: not window.list_model.loading and window.list_model.rowCount() > 0)
    return current.connection


def new_window(width: int, height: int) -> MainWindow:
    window = MainWindow(StorageService())
    window.resize(width, height)
    window.move(40, 40)
    window.show()
    set_window_icon(QApplication.instance())  # type: ignore[arg-type]
    wait(window.isVisible)
    return window


def demo(server: DemoServer, name: str) -> None:
    window = new_window(1100, 680)
    open_demo(window, server, "Demo (local S3)", "demo-documents/")
    settle(1.0)
    grab(window, name)
    window.close()


def dark(server: DemoServer) -> None:
    window = new_window(1100, 680)
    open_demo(window, server, "Demo (local S3)", "demo-photos/2023/summer/")
    settle(1.0)
    grab(window, "dark")
    window.close()


def clouds(server: DemoServer) -> None:
    """The three clouds of the demo side by side in the tree, an Azure container open."""
    window = new_window(1100, 680)
    open_demo(window, server, "Demo (local S3)", "")
    azure = None
    for settings, credentials in server.other_clouds():
        conn = window.service.add_connection(settings, credentials)
        window.add_connection(conn.id, show=False)
        if settings.kind == "azure":
            azure = conn.id
    assert azure is not None, "the demo's local Azure did not start (is Azurite installed?)"
    window.navigate(Location(azure, "azure-demo-documents", ""))
    wait(lambda: not window.list_model.loading and window.list_model.rowCount() > 0)
    settle(1.0)
    grab(window, "clouds")
    window.close()


def write_files(folder: Path, names: list[str], size: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, name in enumerate(names):
        path = folder / name
        path.write_bytes(bytes([n % 251]) * size)
        paths.append(path)
    return paths


def transfers(server: DemoServer) -> None:
    """Two connections to the demo server (so rows say on which), a dropped folder and
    two files of one name done, a big upload and a downloaded folder half-way."""
    window = new_window(1200, 760)
    backup = open_demo(window, server, "backup", "")
    prod = open_demo(window, server, "prod", "demo-photos/")
    controller = window.transfers
    album = write_files(
        HOME / "Pictures" / "album", [f"IMG_{4100 + n}.jpg" for n in range(17)], 268_000
    )
    [report] = write_files(HOME / "Documents", ["report.pdf"], 150_000)
    [video] = write_files(HOME / "Videos", ["holiday.mp4"], 160 * MiB)
    storage = window.service.storage(backup)
    body = b"log line\n" * (3 * MiB // 9)
    for day in range(1, 9):
        storage.put_object(
            "demo-logs", f"2026/day-{day}.log", body, content_md5=content_md5(md5_of(body).digest())
        )
    controller.upload(prod, "demo-photos", "2026/", [album[0].parent])
    wait(lambda: not controller.queue.activity().busy and controller.model.rowCount() >= 1)
    controller.upload(prod, "demo-documents", "", [report])
    controller.upload(backup, "demo-documents", "", [report])
    wait(lambda: not controller.queue.activity().busy and controller.model.rowCount() >= 3)
    # Slow from here on: the rest is caught half-way.
    controller.apply_settings(replace(controller.settings, bandwidth_kib=16 * 1024))
    controller.upload(prod, "demo-photos", "videos/", [video])
    settle(1.5)
    window.navigate(Location(prod, "demo-photos", "2026/album/"))
    controller.download(backup, "demo-logs", "", [Entry("2026/", is_prefix=True)])
    settle(4.5)
    panel = window.transfer_panel
    model = panel.view.model()
    panel.view.expand(model.index(model.rowCount() - 1, 0))
    window.transfer_dock.show()
    window.resizeDocks([window.transfer_dock], [400], Qt.Orientation.Vertical)
    grab(window, "transfers")
    controller.apply_settings(replace(controller.settings, bandwidth_kib=0))
    window.close()


def main(argv: list[str]) -> int:
    if not os.environ.get("DISPLAY"):
        print("run under an X server: DISPLAY=:99 (see the docstring)", file=sys.stderr)
        return 2
    which = argv or ["demo", "clouds", "transfers"]
    if "dark" in which:
        if len(which) > 1:
            print("take 'dark' in a run of its own (the theme is chosen at start)")
            return 2
        # The desktop's dark theme, as a GNOME user with Adwaita dark has it.
        os.environ["QT_QPA_PLATFORMTHEME"] = "gtk3"
        os.environ["GTK_THEME"] = "Adwaita:dark"
    make_application()
    TransferSettings(confirm_quit=False).save()
    server = DemoServer(with_clouds="clouds" in which)
    server.start()
    try:
        for name in which:
            {
                "demo": lambda: demo(server, "demo"),
                "dark": lambda: dark(server),
                "clouds": lambda: clouds(server),
            }.get(name, lambda: transfers(server))()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
