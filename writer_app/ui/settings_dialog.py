"""Settings: sampling, context, threads, GPU offload, custom actions."""

from __future__ import annotations

import dataclasses
import json

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from writer_app.errors import WriterError
from writer_app.settings import Settings
from writer_app.tasks.actions import all_actions


class SettingsDialog(QDialog):
    def __init__(self, prefs: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.prefs = prefs
        form = QFormLayout()
        self.temperature = self._double(prefs.temperature, 0.0, 2.0, 0.05)
        self.top_p = self._double(prefs.top_p, 0.0, 1.0, 0.01)
        self.top_k = self._int(prefs.top_k, 0, 1000)
        self.min_p = self._double(prefs.min_p, 0.0, 1.0, 0.01)
        self.repeat_penalty = self._double(prefs.repeat_penalty, 0.5, 2.0, 0.01)
        self.max_tokens = self._int(prefs.max_tokens, 16, 32768)
        self.context = self._int(prefs.context_length_cap, 512, 262144)
        self.threads = self._int(prefs.threads, 0, 256)
        self.threads.setSpecialValueText("automatic")
        self.gpu = QComboBox(self)
        self.gpu.addItem("Use the GPU when the build supports it", "auto")
        self.gpu.addItem("Never use the GPU", "off")
        self.gpu.setCurrentIndex(0 if prefs.gpu_offload == "auto" else 1)
        self.backend = QComboBox(self)
        for label, value in (("GGUF on llama.cpp, folders on transformers", "auto"),
                             ("Always llama.cpp", "llama.cpp"),
                             ("Always transformers", "transformers")):
            self.backend.addItem(label, value)
        self.backend.setCurrentIndex(self.backend.findData(prefs.backend))
        self.device = QComboBox(self)
        for label, value in (("Automatic (CUDA, then Apple MPS, then CPU)", "auto"),
                             ("CPU", "cpu"), ("CUDA", "cuda"), ("Apple MPS", "mps")):
            self.device.addItem(label, value)
        self.device.setCurrentIndex(self.device.findData(prefs.device))
        self.custom = QPlainTextEdit(self)
        self.custom.setPlainText(json.dumps(prefs.custom_actions, indent=2, ensure_ascii=False))
        self.error = QLabel("", self)
        self.error.setStyleSheet("color: #c0392b")
        for label, widget in (("Temperature", self.temperature), ("Top-p", self.top_p),
                              ("Top-k", self.top_k), ("Min-p", self.min_p),
                              ("Repeat penalty", self.repeat_penalty),
                              ("Max tokens per answer", self.max_tokens),
                              ("Context length (at most)", self.context),
                              ("CPU threads", self.threads), ("GPU offload", self.gpu),
                              ("Backend", self.backend),
                              ("transformers device", self.device)):
            form.addRow(label, widget)
        form.addRow(QLabel('Custom actions (JSON list of {"name", "label", "instruction", '
                           '"use": replace|insert|show}):'))
        form.addRow(self.custom)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _double(self, value: float, lo: float, hi: float, step: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setRange(lo, hi)
        box.setSingleStep(step)
        box.setDecimals(2)
        box.setValue(value)
        return box

    def _int(self, value: int, lo: int, hi: int) -> QSpinBox:
        box = QSpinBox(self)
        box.setRange(lo, hi)
        box.setValue(value)
        return box

    def values(self) -> Settings:
        """The edited settings; a bad custom action list raises WriterError."""
        try:
            custom = json.loads(self.custom.toPlainText() or "[]")
        except json.JSONDecodeError as exc:
            raise WriterError(f"custom actions: not valid JSON ({exc})") from None
        if not isinstance(custom, list) or not all(isinstance(c, dict) for c in custom):
            raise WriterError("custom actions: a JSON list of objects is expected")
        all_actions(custom)  # names each bad entry
        return dataclasses.replace(
            self.prefs, temperature=self.temperature.value(), top_p=self.top_p.value(),
            top_k=self.top_k.value(), min_p=self.min_p.value(),
            repeat_penalty=self.repeat_penalty.value(), max_tokens=self.max_tokens.value(),
            context_length_cap=self.context.value(), threads=self.threads.value(),
            gpu_offload=self.gpu.currentData(), backend=self.backend.currentData(),
            device=self.device.currentData(), custom_actions=custom)

    def accept(self) -> None:
        try:
            self.result_settings = self.values()
        except WriterError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
