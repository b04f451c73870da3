"""Find and replace in the editor."""

from __future__ import annotations

from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from writer_app.ui.editor import Editor


class FindBar(QWidget):
    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.find_text = QLineEdit(self)
        self.find_text.setPlaceholderText("Find")
        self.replace_text = QLineEdit(self)
        self.replace_text.setPlaceholderText("Replace with")
        self.case = QCheckBox("Match case", self)
        self.status = QLabel("", self)
        next_button = QPushButton("Next", self)
        previous_button = QPushButton("Previous", self)
        replace_button = QPushButton("Replace", self)
        all_button = QPushButton("Replace all", self)
        close_button = QPushButton("Close", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for w in (self.find_text, next_button, previous_button, self.replace_text,
                  replace_button, all_button, self.case, self.status, close_button):
            layout.addWidget(w)
        self.find_text.returnPressed.connect(self.find_next)
        next_button.clicked.connect(self.find_next)
        previous_button.clicked.connect(lambda: self.find_next(backward=True))
        replace_button.clicked.connect(self.replace)
        all_button.clicked.connect(self.replace_all)
        close_button.clicked.connect(self.hide)

    def _flags(self, backward: bool = False) -> QTextDocument.FindFlag:
        flags = QTextDocument.FindFlag(0)
        if self.case.isChecked():
            flags |= QTextDocument.FindFlag.FindCaseSensitively
        if backward:
            flags |= QTextDocument.FindFlag.FindBackward
        return flags

    def find_next(self, backward: bool = False) -> bool:
        needle = self.find_text.text()
        if not needle:
            return False
        if self.editor.find(needle, self._flags(backward)):
            self.status.setText("")
            return True
        # Wrap around once.
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End if backward
                            else QTextCursor.MoveOperation.Start)
        self.editor.setTextCursor(cursor)
        found = self.editor.find(needle, self._flags(backward))
        self.status.setText("" if found else "Not found")
        return found

    def _selection_matches(self) -> bool:
        selected = self.editor.textCursor().selectedText()
        needle = self.find_text.text()
        if self.case.isChecked():
            return selected == needle
        return selected.lower() == needle.lower()

    def replace(self) -> None:
        if self._selection_matches() and self.find_text.text():
            self.editor.before_edit()
            self.editor.textCursor().insertText(self.replace_text.text())
        self.find_next()

    def replace_all(self) -> int:
        """Every match replaced, as one undo step."""
        needle = self.find_text.text()
        if not needle:
            return 0
        self.editor.before_edit()
        doc = self.editor.document()
        cursor = QTextCursor(doc)
        count = 0
        edit = QTextCursor(doc)
        edit.beginEditBlock()
        while True:
            cursor = doc.find(needle, cursor, self._flags())
            if cursor.isNull():
                break
            cursor.insertText(self.replace_text.text())
            count += 1
        edit.endEditBlock()
        self.status.setText(f"{count} replaced")
        return count
