"""Questions a worker must ask the user (an MFA code) while it waits.

botocore asks for an MFA code from inside a credential refresh, on whatever worker thread
sends the first request. :class:`MfaPrompter` is that callable: it hands the question to
the GUI thread through a queued signal, shows a dialog there, and blocks the worker (never
the GUI thread) until the user answers or cancels. Cancelling raises Cancelled, which ends
the job quietly.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QWidget

from cloudbrowser.core.errors import Cancelled

#: How often a waiting worker checks that the app is not closing.
_POLL_S = 0.25


@dataclass
class _Question:
    prompt: str
    answer: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class MfaPrompter(QObject):
    """``prompter(prompt) -> code``, callable from any worker thread."""

    _asked = Signal(object)

    def __init__(self, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._widget = parent_widget
        self._closed = threading.Event()
        self._open: dict[QObject, _Question] = {}
        self._asked.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def __call__(self, prompt: str) -> str:
        if QThread.currentThread() is self.thread():
            # The dialog needs the event loop this thread would block: refuse, never hang.
            raise Cancelled(self.tr("An MFA code cannot be asked for on the GUI thread."))
        question = _Question(prompt)
        self._asked.emit(question)
        while not question.done.wait(_POLL_S):
            if self._closed.is_set():
                raise Cancelled(self.tr("The app is closing."))
        if not question.answer:
            raise Cancelled(self.tr("No MFA code was entered."))
        return question.answer

    def close(self) -> None:
        """Release every waiting worker (the window is closing)."""
        self._closed.set()
        for question in self._open.values():
            question.done.set()

    @Slot(object)
    def _show(self, question: _Question) -> None:
        if self._closed.is_set():
            question.done.set()
            return
        # The dialog's classes on first use: the prompter is made before the first paint.
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        dialog = QInputDialog(self._widget)
        dialog.setObjectName("mfaPrompt")
        dialog.setWindowTitle(self.tr("MFA code"))
        dialog.setLabelText(
            self.tr("{prompt}\n(the 6-digit code from your device)").format(
                prompt=question.prompt.strip()
            )
        )
        dialog.setTextEchoMode(QLineEdit.EchoMode.Normal)
        dialog.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        self._open[dialog] = question
        dialog.finished.connect(self._on_finished)
        dialog.open()

    @Slot(int)
    def _on_finished(self, result: int) -> None:
        from PySide6.QtWidgets import QDialog, QInputDialog

        # QInputDialog emits finished before textValueSelected: read the text here.
        dialog = self.sender()
        question = self._open.pop(dialog, None)
        if question is not None:
            if isinstance(dialog, QInputDialog) and result == QDialog.DialogCode.Accepted:
                question.answer = dialog.textValue().strip()
            question.done.set()
        dialog.deleteLater()
