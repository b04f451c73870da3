"""Model ▸ Get models…: the models other apps already downloaded, then the catalog of
recommended ones, each with its size, whether it fits this machine's memory (computed:
engine/memory.py), whether it is on disk already, and a button to use or download it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from writer_app.engine import memory
from writer_app.engine.catalog import CatalogEntry
from writer_app.engine.discovery import FoundModel

FIRST_RUN = ("The built-in model is small and its words are weak. Get a better one: "
             "models other apps downloaded are listed first, then recommended models that "
             "fit this machine.")
FIT_TEXT = {"fits": "fits", "tight": "tight", "too big": "too big"}
COLUMNS = ["Model", "Size", "Memory", "On disk", "Licence", ""]


class CatalogDialog(QDialog):
    sig_use = Signal(str)  # a model on disk: its path
    sig_download = Signal(object)  # a CatalogEntry

    def __init__(self, entries: list[CatalogEntry], found: Callable[[], list[FoundModel]],
                 context_cap: Callable[[], int], available: Callable[[], int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Get models")
        self.entries = entries
        self.found = found
        self.context_cap = context_cap
        self.available = available
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.only_fitting = QCheckBox("Only models that fit this machine", self)
        self.only_fitting.toggled.connect(lambda _on: self.refresh())
        self.memory_label = QLabel("", self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(self.only_fitting)
        top.addStretch(1)
        top.addWidget(self.memory_label)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addLayout(bottom)
        self.resize(900, 460)
        self.refresh()

    def first_run(self) -> None:
        """Opened by itself because only the built-in model was found."""
        self.message.setText(FIRST_RUN)
        self.message.show()
        self.only_fitting.setChecked(True)

    def rows(self) -> list[tuple[str, str, str, str, str, str, object]]:
        """(model, size, memory, on disk, licence, button, what the button acts on):
        other apps' models first, then the catalog."""
        free = self.available()
        found = self.found()
        rows: list[tuple[str, str, str, str, str, str, object]] = []
        for m in found:
            if m.info is None or m.source == "Writer":
                continue
            fit, needed, _ = memory.model_fit(m.info, self.context_cap(), free)
            if self.only_fitting.isChecked() and fit == "too big":
                continue
            rows.append((f"{m.label} ({m.info.parameters_label}, {m.info.quantization})",
                         _size(m.info.file_size), _memory(fit, needed),
                         f"yes ({m.source})", "", "Use", m))
        for e in self.entries:
            needed, _ = e.needed_bytes(self.context_cap())
            fit = memory.fit(needed, free)
            if self.only_fitting.isChecked() and fit == "too big":
                continue
            here = e.on_disk(found)
            rows.append((f"{e.name} ({e.parameters}, {e.quantization})", _size(e.size),
                         _memory(fit, needed), f"yes ({here.source})" if here else "",
                         e.licence, "Use" if here else "Download", here or e))
        return rows

    def refresh(self) -> None:
        self.memory_label.setText(f"{memory.gib(self.available())} of memory free")
        rows = self.rows()
        self.table.setRowCount(len(rows))
        for r, (*cells, button_text, target) in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if isinstance(target, CatalogEntry):
                    item.setToolTip(f"{target.description}\nLanguages: {target.languages}\n"
                                    f"{target.url}")
                self.table.setItem(r, c, item)
            button = QPushButton(button_text, self.table)
            button.clicked.connect(lambda _=False, t=target: self._act(t))
            self.table.setCellWidget(r, len(COLUMNS) - 1, button)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)

    def _act(self, target: object) -> None:
        if isinstance(target, FoundModel):
            self.sig_use.emit(str(target.path))
        elif isinstance(target, CatalogEntry):
            self.sig_download.emit(target)

    def row_texts(self) -> list[list[str]]:
        """What each row shows (for tests and the screen reader alike)."""
        out = []
        for r in range(self.table.rowCount()):
            items = [self.table.item(r, c) for c in range(len(COLUMNS) - 1)]
            cells = [item.text() if item else "" for item in items]
            button = self.table.cellWidget(r, len(COLUMNS) - 1)
            out.append([*cells, button.text() if isinstance(button, QPushButton) else ""])
        return out


def _size(n: int) -> str:
    """A download's size as Hugging Face shows it (decimal units)."""
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def _memory(fit: memory.Fit, needed: int) -> str:
    return f"{FIT_TEXT[fit]} ({memory.gib(needed)})"

