"""No user-visible text in the GUI bypasses Qt's translation mechanism.

A ``.qm`` file in the translations folder (see ``install_translations`` in gui/app.py)
translates only what reaches Qt through ``tr()``: ``self.tr("…")`` in QObject subclasses,
``QCoreApplication.translate("Context", "…")`` (usually through a module's ``_tr`` helper)
elsewhere, ``QT_TRANSLATE_NOOP`` for tables built at import time. One literal passed
straight to a label leaves an English word in an otherwise translated window, and nothing
else notices: the English window looks exactly the same either way. This test reads every
module under cloudbrowser/gui with ``ast`` and names each place (file:line) where a string
with letters in it is passed *directly* to one of the calls that put text on screen,
instead of through one of ``TRANSLATORS``. The rules, below: ``SETTERS`` and
``LIST_SETTERS`` (methods such as setText, addMenu, the window's ``_action``),
``CONSTRUCTORS`` (QLabel("…"), QAction("…")), ``STATIC_DIALOGS`` (the title and text of
QMessageBox.question, QInputDialog.getText, QFileDialog captions), ``SINKS`` (the status bar
through ``MessageSink.info``), and CloudBrowserError and its subclasses, whose message and
hint are shown in the window (``error_classes``; with the ``title`` of those defined in the
GUI, marked with QT_TRANSLATE_NOOP and translated where shown).

What it cannot see: text that reaches a setter through a variable (``label = "…"`` then
``setText(label)``), or a model's ``data()``/``headerData()`` returning a literal. Those
are wrapped by hand, in the same style; the rules catch the common case, where a new
string is written in place.

Text that is not words for people is allowed: a string or f-string without a letter in its
literal parts (``f"{percent}% · {title}"``), and the few entries of ``ALLOWED`` below, each
with its reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cloudbrowser"
GUI = PACKAGE / "gui"

#: The wrappers that make a string translatable (by function or method name).
TRANSLATORS = frozenset({"tr", "translate", "QT_TRANSLATE_NOOP", "QT_TR_NOOP"})

#: Methods whose first argument is shown to the user.
SETTERS = frozenset(
    {
        "setText",
        "setWindowTitle",
        "setToolTip",
        "setPlaceholderText",
        "setLabelText",
        "setStatusTip",
        "setWhatsThis",
        "setInformativeText",
        "setDetailedText",
        "setTitle",
        "setAccessibleName",
        "setAccessibleDescription",
        "setOkButtonText",
        "setCancelButtonText",
        "setSpecialValueText",
        "setSuffix",
        "setPrefix",
        "showMessage",
        "addMenu",
        "addTab",
        "addButton",
        "addItem",
        "addRow",  # QFormLayout.addRow(label, field)
        "_action",  # MainWindow._action(text, icon, keys, slot) and the panel's own
        "new_action",  # WindowMenus.new_action(text, icon, keys, slot): the feature modules'
    }
)
#: Methods taking a list of texts (each item is checked).
LIST_SETTERS = frozenset({"setHeaderLabels", "setHorizontalHeaderLabels", "addItems"})
#: Widgets and actions whose constructor takes their text (every positional argument is
#: checked: QAction(icon, text, parent) puts it second).
CONSTRUCTORS = frozenset(
    {
        "QAction",
        "QLabel",
        "QPushButton",
        "QCheckBox",
        "QGroupBox",
        "QRadioButton",
        "QToolButton",
        "QMenu",
        "QToolBar",
        "QDockWidget",
        "QMessageBox",
        "QListWidgetItem",
    }
)
#: Static dialogs: class → method → positions of the title and text arguments.
STATIC_DIALOGS: dict[str, dict[str, tuple[int, ...]]] = {
    "QMessageBox": {
        name: (1, 2) for name in ("question", "warning", "information", "critical", "about")
    },
    "QInputDialog": {
        name: (1, 2) for name in ("getText", "getInt", "getDouble", "getItem", "getMultiLineText")
    },
    # The window's one way to ask (gui/message_icons.py), called as message_icons.ask.
    "message_icons": {"ask": (1, 2)},
    "QFileDialog": {
        "getOpenFileName": (1, 3),
        "getOpenFileNames": (1, 3),
        "getSaveFileName": (1, 3),
        "getExistingDirectory": (1,),
    },
}
#: Keyword arguments of the calls above that carry text.
TEXT_KEYWORDS = frozenset({"text", "title", "caption", "label", "filter", "message", "hint"})
#: ``<receiver>.info(text)`` is MessageSink.info (the status bar) for these receivers;
#: ``log.info`` is not shown to anyone.
SINKS = frozenset({"messages", "_messages", "self"})

#: file (relative to cloudbrowser/gui), source of the text → why it stays as it is.
ALLOWED: dict[tuple[str, str], str] = {
    ("widgets/main_window.py", "'cloudbrowser'"): "the application's name, not a word",
    ("dialogs/connections.py", "'https://…'"): "the start of an address, not words",
}


def error_classes(trees: dict[str, ast.Module]) -> frozenset[str]:
    """CloudBrowserError and its subclasses, wherever they are defined (core/errors.py,
    core/secrets.py, the GUI…): their message and hint reach the user."""
    names = {"CloudBrowserError"}
    grew = True
    while grew:  # subclasses of subclasses…
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in names
                    and any(_name(base) in names for base in node.bases)
                ):
                    names.add(node.name)
                    grew = True
    return frozenset(names)


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    call: str
    text: str

    def __str__(self) -> str:
        return f"cloudbrowser/gui/{self.file}:{self.line}: {self.call}({self.text})"


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


def untranslated(node: ast.expr | None) -> ast.expr | None:
    """The part of ``node`` that is literal text for people, if any: a string or f-string
    with letters, also inside ``+``/``%``, ``a if c else b``, ``"…".format()`` and
    ``"…".join([...])``. A call to one of ``TRANSLATORS`` is translated, and any other call
    (``str(x)``) is not literal text."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node if isinstance(node.value, str) and _has_letters(node.value) else None
    if isinstance(node, ast.JoinedStr):
        literal = [v for v in node.values if isinstance(v, ast.Constant)]
        return node if any(_has_letters(str(v.value)) for v in literal) else None
    if isinstance(node, ast.BinOp):
        return untranslated(node.left) or untranslated(node.right)
    if isinstance(node, ast.IfExp):
        return untranslated(node.body) or untranslated(node.orelse)
    if isinstance(node, ast.BoolOp):
        return next((found for v in node.values if (found := untranslated(v))), None)
    if isinstance(node, (ast.List, ast.Tuple)):
        return next((found for v in node.elts if (found := untranslated(v))), None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format":
            return untranslated(node.func.value)
        if node.func.attr == "join":
            parts = [node.func.value, *(a for a in node.args if isinstance(a, ast.List))]
            return next((found for v in parts if (found := untranslated(v))), None)
    return None


def _texts(node: ast.Call, errors: frozenset[str]) -> tuple[str, list[ast.expr]]:
    """(what is called, the arguments that are shown to the user) for a call."""
    func = node.func
    name = _name(func)
    keywords = [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
    if isinstance(func, ast.Attribute):
        owner = _name(func.value)
        positions = STATIC_DIALOGS.get(owner, {}).get(name)
        if positions is not None:
            args = [node.args[i] for i in positions if i < len(node.args)]
            return f"{owner}.{name}", args + keywords
        if name == "info" and owner in SINKS:
            return f"{owner}.info", node.args[:1]
    if name in SETTERS:
        return name, node.args[:1] + keywords
    if name in LIST_SETTERS:
        return name, node.args[:1]
    if name in CONSTRUCTORS:
        return name, list(node.args) + keywords
    if name in errors:
        return name, node.args[:1] + keywords
    return "", []


def _title_assignments(tree: ast.Module, errors: frozenset[str]) -> Iterator[ast.Assign]:
    """``title = "…"`` in an error class of the GUI and ``error.title = "…"``: the title
    of the message box or status bar message."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name in errors:
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "title" for t in statement.targets
                ):
                    yield statement
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr == "title" for t in node.targets
        ):
            yield node


def scan(trees: dict[str, ast.Module], errors: frozenset[str]) -> list[Finding]:
    found: list[Finding] = []
    for file, tree in sorted(trees.items()):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) not in TRANSLATORS:
                call, args = _texts(node, errors)
                for arg in args:
                    text = untranslated(arg)
                    if text is not None:
                        found.append(Finding(file, text.lineno, call, ast.unparse(text)))
        for assign in _title_assignments(tree, errors):
            text = untranslated(assign.value)
            if text is not None:
                found.append(Finding(file, text.lineno, "title =", ast.unparse(text)))
    return found


def parse(files: dict[str, str]) -> dict[str, ast.Module]:
    return {name: ast.parse(source, name) for name, source in files.items()}


def read(folder: Path) -> dict[str, ast.Module]:
    """The modules under ``folder``, by path relative to it."""
    return parse(
        {p.relative_to(folder).as_posix(): p.read_text("utf-8") for p in folder.rglob("*.py")}
    )


def gui_errors() -> frozenset[str]:
    return error_classes(read(PACKAGE))


def test_every_visible_string_of_the_gui_goes_through_tr() -> None:
    trees = read(GUI)
    assert len(trees) > 20, f"found only {len(trees)} modules under {GUI}"
    findings = scan(trees, gui_errors())
    left = [f for f in findings if (f.file, f.text) not in ALLOWED]
    assert not left, "untranslated text (wrap it in tr/_tr):\n" + "\n".join(map(str, left))


def test_the_allow_list_has_no_stale_entries() -> None:
    """An entry whose text is gone (or now translated) would silently allow it again."""
    seen = {(f.file, f.text) for f in scan(read(GUI), gui_errors())}
    assert set(ALLOWED) <= seen, set(ALLOWED) - seen


SAMPLE = """
from cloudbrowser.core.errors import ConfigError

class Oops(ConfigError):
    title = "Oops happened"

class Fine(ConfigError):
    title = QT_TRANSLATE_NOOP("CloudBrowserError", "Fine")

def f(self, window, n, name, log, error):
    self.label.setText("Plain")                                  # 11
    self.label.setText(f"{n} files")                             # 12
    self.label.setText(self.tr("{n} files").format(n=n))
    self.label.setText(f"{n} · {name}")
    self.label.setText("Yes" if n else self.tr("No"))            # 15
    QMessageBox.question(window, "Title", self.tr("Text"))       # 16
    QMessageBox.question(window, _tr("Title"), "Text " + name)   # 17
    button = QPushButton(self.tr("OK"))
    action = QAction(icon, "Go", window)                         # 19
    window._action("Back", None, [], self.back)                  # 20
    window.messages.info("Connected.")                           # 21
    log.info("not shown")
    header.setHeaderLabels(["Name", self.tr("Size")])            # 23
    raise ConfigError("Wrong", hint=self.tr("Do this"))          # 24
    raise Oops(_tr("Wrong"), hint="Do that")                     # 25
    error.title = "Secret needed"                                # 26
    QFileDialog.getOpenFileNames(window, "Pick", "", "All (*)")  # 27
    self.setObjectName("mainWindow")
    self.label.setText("{}".format(name))
    self.label.setText("Hello {}".format(name))                  # 30
    form.addRow("&Name:", self.name_edit)                        # 31
    form.addRow("", self.check)
"""


def test_the_scanner_finds_what_it_should_and_nothing_else() -> None:
    """The rules above, on a sample: each marked line is found, nothing else is."""
    trees = parse({"sample.py": SAMPLE})
    errors = error_classes(read(PACKAGE) | trees)
    assert {"Oops", "Fine", "ConfigError", "KeyringUnavailable", "UnexpectedError"} <= errors
    lines = sorted(f.line for f in scan(trees, errors))
    assert lines == [5, 11, 12, 15, 16, 17, 19, 20, 21, 23, 24, 25, 26, 27, 27, 30, 31]
