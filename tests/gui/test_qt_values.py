"""gui/qt_values.py: the Qt enum values spelled as numbers are Qt's, and enum properties
set by key name take effect (or fail loudly)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from cloudbrowser.gui import qt_values


def test_the_values_are_qts() -> None:
    assert Qt.ItemDataRole.DisplayRole.value == qt_values.DISPLAY_ROLE
    assert Qt.ItemDataRole.DecorationRole.value == qt_values.DECORATION_ROLE
    assert Qt.ItemDataRole.ToolTipRole.value == qt_values.TOOL_TIP_ROLE
    assert Qt.ItemDataRole.TextAlignmentRole.value == qt_values.TEXT_ALIGNMENT_ROLE
    assert Qt.ItemDataRole.UserRole.value == qt_values.USER_ROLE
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    assert right.value == qt_values.ALIGN_RIGHT_VCENTER


@pytest.mark.gui
def test_set_enum_sets_a_property_by_key_name_and_refuses_an_unknown_key(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    qt_values.set_enum(label, "alignment", "AlignRight|AlignVCenter")
    assert label.alignment() == Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    qt_values.set_enum(label, "contextMenuPolicy", "CustomContextMenu")
    assert label.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    with pytest.raises(ValueError, match="AlignMiddle"):
        qt_values.set_enum(label, "alignment", "AlignMiddle")
