"""Streamed text into a read-only view."""

from __future__ import annotations

from PySide6.QtWidgets import QPlainTextEdit, QTextEdit


def append_text(view: QPlainTextEdit | QTextEdit, text: str) -> None:
    """Add `text` at the end, whatever the user selected in the view meanwhile."""
    cursor = view.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    cursor.insertText(text)
    view.setTextCursor(cursor)
