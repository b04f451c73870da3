"""Settings: sampling, context, threads, GPU offload, servers, custom actions."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from writer_app import settings
from writer_app.engine.discovery import FoundModel
from writer_app.engine.stores import STORES
from writer_app.errors import WriterError
from writer_app.settings import Settings
from writer_app.tasks.actions import all_actions
from writer_app.tasks.spelling import DICTIONARIES

# How each choice reads in the dialog (the choices themselves are in writer_app.settings).
CHOICE_LABELS = {
    ("gpu_offload", "auto"): "Use the GPU when the build supports it",
    ("gpu_offload", "off"): "Never use the GPU",
    ("backend", "auto"): "GGUF on llama.cpp, folders on transformers",
    ("backend", "llama.cpp"): "Always llama.cpp",
    ("backend", "transformers"): "Always transformers",
    ("device", "auto"): "Automatic (CUDA, then Apple MPS, then CPU)",
    ("device", "cpu"): "CPU",
    ("device", "cuda"): "CUDA",
    ("device", "mps"): "Apple MPS",
    ("spell_check", "auto"): "Each paragraph in its own language",
    ("spell_check", "off"): "Off",
    ("ghost_text", "auto"): "On when the model answers within 300 ms",
    ("ghost_text", "on"): "On",
    ("ghost_text", "off"): "Off",
    ("summary_budget", "thorough"): "Read every word (slow for a book)",
    ("summary_budget", "default"): "Read each section's key sentences (about 12,000 tokens)",
    ("summary_budget", "quick"): "Read fewer key sentences (about 4,000 tokens)",
    ("english_spelling", "system"): "As the system's language says",
    ("english_spelling", "en_GB"): "British (harbour, colour)",
    ("english_spelling", "en_US"): "American (harbor, color)",
    **{("spell_check", name): label for name, label in DICTIONARIES.items()},
}


class SettingsDialog(QDialog):
    def __init__(self, prefs: Settings, parent: QWidget | None = None,
                 models: Sequence[FoundModel] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.prefs = prefs
        form = QFormLayout()
        self.temperature = self._double("temperature", 0.05)
        self.top_p = self._double("top_p", 0.01)
        self.top_k = self._int("top_k")
        self.min_p = self._double("min_p", 0.01)
        self.repeat_penalty = self._double("repeat_penalty", 0.01)
        self.max_tokens = self._int("max_tokens")
        self.context = self._int("context_length_cap")
        self.threads = self._int("threads")
        self.threads.setSpecialValueText("automatic")
        self.gpu = self._choice("gpu_offload")
        self.backend = self._choice("backend")
        self.device = self._choice("device")
        self.spell_check = self._choice("spell_check")
        self.english_spelling = self._choice("english_spelling")
        self.summary_budget = self._choice("summary_budget")
        self.summary_map_model = self._map_model_choice(models)
        self.ghost_text = self._choice("ghost_text")
        self.speech_voice = self._voice_choice()
        self.speech_rate = self._int("speech_rate")
        self.speech_rate.setSuffix(" words a minute")
        # Other apps' model stores, each looked in unless turned off.
        self.stores = {store: QCheckBox(label, self) for store, label in STORES.items()}
        for store, box in self.stores.items():
            box.setChecked(store not in prefs.model_sources_off)
        sources = QHBoxLayout()
        for box in self.stores.values():
            sources.addWidget(box)
        self.server_requests = self._int("server_requests")
        self.server_requests.setSpecialValueText("as many as the server says")
        # Servers on other machines the user allowed to receive text: each can be taken back.
        self.allowed = QListWidget(self)
        self.allowed.addItems(prefs.allowed_servers)
        self.allowed.setMaximumHeight(80)
        self.revoke = QPushButton("Stop sending text to this server", self)
        self.revoke.setEnabled(False)
        self.allowed.currentRowChanged.connect(lambda row: self.revoke.setEnabled(row >= 0))
        self.revoke.clicked.connect(lambda: self.allowed.takeItem(self.allowed.currentRow()))
        servers = QVBoxLayout()
        servers.addWidget(self.allowed)
        servers.addWidget(self.revoke)
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
                              ("transformers device", self.device),
                              ("Spelling", self.spell_check),
                              ("English spelling", self.english_spelling),
                              ("Summaries of long documents", self.summary_budget),
                              ("Their parts read by", self.summary_map_model),
                              ("Ghost text", self.ghost_text),
                              ("Read aloud: voice", self.speech_voice),
                              ("Read aloud: rate", self.speech_rate)):
            form.addRow(label, widget)
        form.addRow("Models of other apps", sources)
        form.addRow("Requests at once to a server", self.server_requests)
        form.addRow("Servers allowed to receive text", servers)
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

    def _bounds(self, name: str) -> tuple[float, float]:
        bounds = settings.bounds_of(name)
        assert bounds is not None, name
        return bounds

    def _double(self, name: str, step: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setRange(*self._bounds(name))
        box.setSingleStep(step)
        box.setDecimals(2)
        box.setValue(getattr(self.prefs, name))
        return box

    def _int(self, name: str) -> QSpinBox:
        box = QSpinBox(self)
        low, high = self._bounds(name)
        box.setRange(int(low), int(min(high, 2**31 - 1)))
        box.setValue(getattr(self.prefs, name))
        return box

    def _choice(self, name: str) -> QComboBox:
        box = QComboBox(self)
        for value in settings.choices_of(name):
            box.addItem(CHOICE_LABELS.get((name, value), value), value)
        box.setCurrentIndex(box.findData(getattr(self.prefs, name)))
        return box

    def _map_model_choice(self, models: Sequence[FoundModel]) -> QComboBox:
        """The model in use, or a smaller one found on this computer, smallest first."""
        box = QComboBox(self)
        box.addItem("The model in use", "")
        usable = [(m, m.info) for m in models if m.info is not None and m.is_gguf]
        for model, info in sorted(usable, key=lambda pair: pair[1].file_size):
            box.addItem(f"{model.label} ({info.parameters_label}, {model.source})",
                        str(model.path))
        current = self.prefs.summary_map_model
        if current and box.findData(current) < 0:
            box.addItem(current, current)  # named by hand, or not found this time
        box.setCurrentIndex(box.findData(current))
        box.setToolTip("A smaller, faster model that summarizes the parts of a long "
                       "document; the model in use combines them. Faster, and the parts' "
                       "summaries are the smaller model's.")
        return box

    def _voice_choice(self) -> QComboBox:
        """The platform's voices (eSpeak NG's on Linux); none listed without one."""
        from writer_app.speech.voice import NoVoice, voices

        box = QComboBox(self)
        box.addItem("English (default)", "")
        try:
            for voice in voices():
                box.addItem(f"{voice.name} ({voice.languages})", voice.name)
            box.setToolTip("The platform's own voices, offline")
        except NoVoice as exc:
            box.setToolTip(str(exc))
        current = self.prefs.speech_voice
        if current and box.findData(current) < 0:
            box.addItem(current, current)
        box.setCurrentIndex(box.findData(current))
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
            device=self.device.currentData(), spell_check=self.spell_check.currentData(),
            english_spelling=self.english_spelling.currentData(), custom_actions=custom,
            summary_budget=self.summary_budget.currentData(),
            summary_map_model=self.summary_map_model.currentData(),
            ghost_text=self.ghost_text.currentData(),
            speech_voice=self.speech_voice.currentData(), speech_rate=self.speech_rate.value(),
            model_sources_off=[s for s, box in self.stores.items() if not box.isChecked()],
            server_requests=self.server_requests.value(),
            allowed_servers=[self.allowed.item(i).text() for i in range(self.allowed.count())])

    def accept(self) -> None:
        try:
            self.result_settings = self.values()
        except WriterError as exc:
            self.error.setText(str(exc))
            return
        super().accept()
