"""A slim bar under the editor for a job on the text (Check tone, Read aloud): a line
that says where the job is, and its buttons on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class EditorBar(QWidget):
    def __init__(self, buttons: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.addWidget(self.label, 1)
        self.buttons = [QPushButton(text, self) for text in buttons]
        for button in self.buttons:
            row.addWidget(button)
