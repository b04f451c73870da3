"""The main window: editor, suggestion pane, files, model, status bar."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from writer_app import settings
from writer_app.engine.discovery import resolve
from writer_app.engine.model_info import ModelInfo
from writer_app.engine.types import EngineConfig
from writer_app.errors import WriterError
from writer_app.net import is_web_address
from writer_app.tasks.actions import Action, all_actions
from writer_app.tasks.rewrite import RewriteResult, run_action
from writer_app.ui import file_ops
from writer_app.ui.download_dialog import DownloadDialog
from writer_app.ui.editor import Editor, dropped_sources
from writer_app.ui.find_bar import FindBar
from writer_app.ui.jobs import Job, JobContext, JobRunner
from writer_app.ui.model_host import ModelHost
from writer_app.ui.settings_dialog import SettingsDialog
from writer_app.ui.suggestion_pane import SuggestionPane
from writer_app.ui.summary_pane import SummaryPane
from writer_app.ui.translation_pane import TranslationPane

AUTOSAVE_MS = 5000
TEXT_FILTER = "Text and Markdown (*.txt *.md *.markdown);;All files (*)"
MAX_RECENT = 8


def selected_text(cursor: QTextCursor) -> str:
    """The selection as plain text: Qt marks paragraph breaks in it with U+2029."""
    return cursor.selectedText().replace("\u2029", "\n")


def describe_model(prefs: settings.Settings, folders: list[Path]) -> str:
    try:
        info = resolve(prefs.model_path or None, folders)
    except WriterError as exc:
        return f"No model: {exc}"
    return _model_label(info)


def _model_label(info: ModelInfo) -> str:
    return (f"Model: {info.path.name} ({info.architecture}, {info.parameters_label}, "
            f"{info.quantization}, context {info.context_length})")


class _Pending:
    """A suggestion in flight or waiting: where it came from and what the text was."""

    def __init__(self, action: Action, instruction: str, start: int, end: int,
                 original: str) -> None:
        self.action = action
        self.instruction = instruction
        self.start = start
        self.end = end
        self.original = original
        self.result: RewriteResult | None = None
        self.job: Job | None = None


class MainWindow(QMainWindow):
    def __init__(self, prefs: settings.Settings, folders: list[Path],
                 load_model: bool = True) -> None:
        super().__init__()
        self.prefs = prefs
        self.folders = folders
        self.path: Path | None = None
        self.runner = JobRunner(self)
        self.host = ModelHost(self.runner, self)
        self.pending: _Pending | None = None
        self.download_dialog: DownloadDialog | None = None
        # What a translation replaces: the selection it came from, or the whole document.
        self._translated_range: tuple[int, int] | None = None

        self.editor = Editor(self)
        self.editor.setPlaceholderText("Start writing…")
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.find_bar = FindBar(self.editor, self)
        self.find_bar.hide()
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.editor, 1)
        column.addWidget(self.find_bar)
        self.setCentralWidget(central)

        self.suggestions = SuggestionPane(all_actions(prefs.custom_actions), self)
        self.suggestion_dock = self._dock("Suggestion", self.suggestions, "suggestion")
        self.translation = TranslationPane(self.runner, lambda: self.host.engine,
                                           self._text_to_translate, self)
        self.translation_dock = self._dock("Translation", self.translation, "translation")
        self.summary = SummaryPane(self.runner, lambda: self.host.engine, self._text_to_summarize,
                                   self)
        self.summary_dock = self._dock("Summary", self.summary, "summary")
        self.tabifyDockWidget(self.suggestion_dock, self.translation_dock)
        self.tabifyDockWidget(self.translation_dock, self.summary_dock)
        self.suggestion_dock.raise_()
        self.setAcceptDrops(True)

        self.model_label = QLabel(describe_model(prefs, folders), self)
        self.device_label = QLabel("", self)
        self.speed_label = QLabel("", self)
        self.words_label = QLabel("0 words", self)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # an indeterminate bar while a model loads
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        bar = self.statusBar()
        bar.addPermanentWidget(self.busy)
        bar.addPermanentWidget(self.model_label, 1)
        bar.addPermanentWidget(self.device_label)
        bar.addPermanentWidget(self.speed_label)
        bar.addPermanentWidget(self.words_label)

        self._build_menus()
        self._wire()
        self._fit_to_screen(1100, 720)
        self._restore_layout()
        self._update_title()
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self._autosave)
        self.autosave_timer.start()
        self._autosaved_revision = -1
        if load_model:
            self.load_model(prefs.model_path or None)

    def _fit_to_screen(self, width: int, height: int) -> None:
        """The default size, but never larger than the screen (small or scaled screens)."""
        screen = self.screen().availableGeometry()
        self.resize(min(width, int(screen.width() * 0.9)),
                    min(height, int(screen.height() * 0.9)))

    # --- layout -----------------------------------------------------------------
    def _dock(self, title: str, widget: object, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)  # type: ignore[arg-type]
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _restore_layout(self) -> None:
        store = QSettings(str(self._layout_file()), QSettings.Format.IniFormat)
        geometry = store.value("geometry")
        state = store.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def _save_layout(self) -> None:
        store = QSettings(str(self._layout_file()), QSettings.Format.IniFormat)
        store.setValue("geometry", self.saveGeometry())
        store.setValue("state", self.saveState())

    @staticmethod
    def _layout_file() -> Path:
        from writer_app import paths

        return paths.config_dir() / "layout.ini"

    def _action(self, text: str, slot: Callable[..., object],
                shortcut: QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self._action("&New", self.new_file, QKeySequence.StandardKey.New))
        file_menu.addAction(self._action("&Open…", self.open_dialog,
                                         QKeySequence.StandardKey.Open))
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addAction(self._action("&Import document…", self.import_dialog))
        file_menu.addAction(self._action("&Save", self.save, QKeySequence.StandardKey.Save))
        file_menu.addAction(self._action("Save &As…", self.save_as,
                                         QKeySequence.StandardKey.SaveAs))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))
        self._fill_recent()

        edit = menu.addMenu("&Edit")
        edit.addAction(self._action("&Undo", self.editor.undo, QKeySequence.StandardKey.Undo))
        edit.addAction(self._action("&Redo", self.editor.redo, QKeySequence.StandardKey.Redo))
        edit.addSeparator()
        edit.addAction(self._action("Cu&t", self.editor.cut, QKeySequence.StandardKey.Cut))
        edit.addAction(self._action("&Copy", self.editor.copy, QKeySequence.StandardKey.Copy))
        edit.addAction(self._action("&Paste", self.editor.paste, QKeySequence.StandardKey.Paste))
        edit.addAction(self._action("Select &All", self.editor.selectAll,
                                    QKeySequence.StandardKey.SelectAll))
        edit.addSeparator()
        edit.addAction(self._action("&Find…", self.show_find, QKeySequence.StandardKey.Find))
        edit.addAction(self._action("Find &next", self.find_bar.find_next,
                                    QKeySequence.StandardKey.FindNext))
        edit.addAction(self._action("R&eplace…", self.show_find,
                                    QKeySequence.StandardKey.Replace))
        edit.addSeparator()
        edit.addAction(self._action("&Settings…", self.open_settings,
                                    QKeySequence.StandardKey.Preferences))

        assist = menu.addMenu("&Assist")
        toolbar = self.addToolBar("Actions")
        toolbar.setObjectName("toolbar-actions")
        for a in self.suggestions.writing_actions:
            if a.needs_instruction:
                continue
            qa = self._action(a.label, lambda _=False, name=a.name: self.suggest(name))
            assist.addAction(qa)
            toolbar.addAction(qa)
        assist.addSeparator()
        assist.addAction(self._action("&Stop", self.stop_suggestion))
        assist.addSeparator()
        assist.addAction(self._action("Summari&ze my text", lambda: self._summarize_with(
            self.summary.summarize_own_text)))
        assist.addAction(self._action("Summarize a &document…", lambda: self._summarize_with(
            self.summary.open_dialog)))

        self.model_menu = menu.addMenu("&Model")
        self.model_menu.aboutToShow.connect(self._fill_model_menu)

        view = menu.addMenu("&View")
        view.addAction(self.suggestion_dock.toggleViewAction())
        view.addAction(self.translation_dock.toggleViewAction())
        view.addAction(self.summary_dock.toggleViewAction())
        view.addAction(toolbar.toggleViewAction())

    def _wire(self) -> None:
        doc = self.editor.document()
        doc.modificationChanged.connect(lambda _m: self._update_title())
        # Counting words copies the whole text: do it once typing pauses, not per key.
        self.words_timer = QTimer(self)
        self.words_timer.setSingleShot(True)
        self.words_timer.setInterval(250)
        self.words_timer.timeout.connect(self._update_words)
        doc.contentsChanged.connect(self.words_timer.start)
        self.suggestions.sig_run.connect(self.suggest)
        self.suggestions.sig_accept.connect(self.accept_suggestion)
        self.suggestions.sig_reject.connect(self.reject_suggestion)
        self.suggestions.sig_regenerate.connect(self.regenerate)
        self.suggestions.sig_stop.connect(self.stop_suggestion)
        self.translation.sig_insert.connect(self.insert_text)
        self.translation.sig_replace.connect(self.replace_translated)
        self.summary.sig_insert.connect(self.insert_text)
        self.host.sig_loading.connect(self._model_loading)
        self.host.sig_loaded.connect(self._model_loaded)
        self.host.sig_failed.connect(self._model_failed)

    def show_find(self) -> None:
        self.find_bar.show()
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_bar.find_text.setText(selected)
        self.find_bar.find_text.setFocus()
        self.find_bar.find_text.selectAll()

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.prefs, self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(dialog.result_settings)

    def apply_settings(self, new: settings.Settings) -> None:
        """Save and apply: sampling at the next request, actions now, the rest by a reload."""
        old = self.prefs
        settings.save(new)
        self.prefs = new
        self.suggestions.set_actions(all_actions(new.custom_actions))
        engine_keys = ("context_length_cap", "threads", "gpu_offload", "backend", "device")
        if any(getattr(old, k) != getattr(new, k) for k in engine_keys) \
                and self.host.engine is not None:
            self.load_model(str(self.host.engine.info.path))

    def _fill_model_menu(self) -> None:
        from writer_app import paths
        from writer_app.engine.discovery import discover

        menu = self.model_menu
        menu.clear()
        current = self.host.engine.info.path if self.host.engine else None
        for found in discover(self.folders):
            if found.info is None:
                item = menu.addAction(f"{found.path.name} — unusable: {found.error}")
                item.setEnabled(False)
                continue
            i = found.info
            item = self._action(
                f"{found.path.name}  ({i.architecture}, {i.parameters_label}, {i.quantization},"
                f" context {i.context_length}, {i.file_size / 2**20:.0f} MiB)",
                lambda _=False, p=found.path: self.load_model(str(p)))
            item.setCheckable(True)
            item.setChecked(found.path == current)
            menu.addAction(item)
        menu.addSeparator()
        on_hf = self._action("Run GGUF models with transformers (full precision, GPU)",
                             self._toggle_transformers)
        on_hf.setCheckable(True)
        on_hf.setChecked(self.prefs.backend == "transformers")
        menu.addAction(on_hf)
        menu.addAction(self._action("Add model file…", self._add_model_dialog))
        menu.addAction(self._action("Download a model…", lambda: self.open_download_dialog()))
        folder = paths.user_models_dir()
        info = menu.addAction(f"Your models folder: {folder}")
        info.setEnabled(False)

    def _toggle_transformers(self, checked: bool) -> None:
        self.apply_settings(dataclasses.replace(
            self.prefs, backend="transformers" if checked else "auto"))

    def open_download_dialog(self, link: str = "") -> None:
        from writer_app import paths

        if self.download_dialog is None:
            self.download_dialog = DownloadDialog(self.runner, paths.user_models_dir(), self)
            self.download_dialog.sig_downloaded.connect(self._model_downloaded)
        if link and not self.download_dialog.running:
            self.download_dialog.link.setText(link)
        self.download_dialog.show()
        self.download_dialog.raise_()
        self.download_dialog.activateWindow()
        self.download_dialog.link.setFocus()

    def _model_downloaded(self, path: str) -> None:
        answer = QMessageBox.question(self, "Model downloaded",
                                      f"Use {Path(path).name} now?")
        if answer == QMessageBox.StandardButton.Yes:
            self.load_model(path)

    def _add_model_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Add model", "", "GGUF models (*.gguf)")
        if name:
            self.offer_model(Path(name))

    # --- model --------------------------------------------------------------------
    def load_model(self, name_or_path: str | None) -> None:
        try:
            info = resolve(name_or_path, self.folders)
        except WriterError as exc:
            if self.host.engine is None:
                self.model_label.setText(f"No model: {exc}")
            else:
                self._model_failed(str(exc))
            return
        p = self.prefs
        self.host.load(info, EngineConfig(p.context_length_cap, p.threads, p.gpu_offload,
                                          p.backend, p.device))

    def _model_loading(self, name: str) -> None:
        self.model_label.setText(f"Loading {name}…")
        self.busy.show()

    def _model_loaded(self, engine: object) -> None:
        self.busy.hide()
        from writer_app.engine.engine import Engine

        assert isinstance(engine, Engine)
        self.model_label.setText(_model_label(engine.info))
        self.device_label.setText(f"Device: {engine.device.device}")
        self.device_label.setToolTip("\n".join(filter(None, [engine.device.cpu,
                                                             engine.device.reason])))

    def _model_failed(self, message: str) -> None:
        self.busy.hide()
        current = self.host.engine
        if current is not None:
            self.model_label.setText(_model_label(current.info))
            self.model_label.setToolTip(f"The last load failed: {message}")
            message += f"\n\nStill using {current.info.path.name}."
        else:
            self.model_label.setText("No model: the load failed")
        QMessageBox.warning(self, "Model", message)

    # --- suggestions ----------------------------------------------------------------
    def _target(self) -> tuple[int, int, str]:
        """The selection, or the paragraph (text block) the cursor is in."""
        cursor = self.editor.textCursor()
        if not cursor.hasSelection():
            block = cursor.block()
            cursor.setPosition(block.position())
            cursor.setPosition(block.position() + block.length() - 1,
                               QTextCursor.MoveMode.KeepAnchor)
        text = selected_text(cursor)
        return cursor.selectionStart(), cursor.selectionEnd(), text

    def suggest(self, name: str, instruction: str = "") -> None:
        action = next((a for a in self.suggestions.writing_actions if a.name == name), None)
        if action is None:
            return
        if self.pending is not None and self.pending.job is not None \
                and self.pending.job.running:
            self.suggestions.show_message("A suggestion is being written; stop it first.")
            return
        start, end, text = self._target()
        if not text.strip():
            self.suggestions.show_message("There is no text here: select some, or put the "
                                          "cursor in a paragraph.")
            return
        self.pending = _Pending(action, instruction, start, end, text)
        self._run_pending()

    def _run_pending(self) -> None:
        pending = self.pending
        assert pending is not None
        engine = self.host.engine
        if engine is None:
            self.suggestions.show_message("The model is still loading." if self.host.loading
                                          else "No model is loaded.")
            return
        self.suggestions.start(pending.action.label)
        self.suggestion_dock.show()
        options = self.prefs.sampling(temperature=max(self.prefs.temperature, 0.2)
                                      if pending.result else 0.2)
        started = time.perf_counter()
        counted = [0]

        def work(ctx: JobContext) -> RewriteResult:
            def piece(text: str) -> None:
                counted[0] += 1
                ctx.text(text)
                if counted[0] % 8 == 0:
                    ctx.progress(counted[0] / (time.perf_counter() - started))

            return run_action(engine, pending.action, pending.original,
                              instruction=pending.instruction or None, options=options,
                              cancel=ctx.cancel, on_piece=piece)

        def done(result: RewriteResult) -> None:
            pending.result = result
            self.speed_label.setText("")
            if result.text == pending.original:
                note = "No change suggested."
            else:
                where = "after the text" if pending.action.use == "insert" else "in its place"
                note = f"Accept puts the suggestion {where}."
            if result.warnings:
                note += " " + " ".join(result.warnings)
            self.suggestions.show_result(result.changes, note)

        def failed(message: str) -> None:
            self.speed_label.setText("")
            self.suggestions.show_message(message)

        def cancelled() -> None:
            self.speed_label.setText("")
            self.suggestions.show_message("Stopped.")

        pending.job = self.runner.run(
            work, lane="inference", on_done=done, on_failed=failed, on_cancelled=cancelled,
            on_text=self.suggestions.append,
            on_progress=lambda tps: self.speed_label.setText(f"{tps:.0f} tokens/s"))

    def stop_suggestion(self) -> None:
        if self.pending is not None and self.pending.job is not None:
            self.pending.job.cancel()

    def regenerate(self) -> None:
        if self.pending is not None:
            self._run_pending()

    def reject_suggestion(self) -> None:
        self.pending = None
        self.suggestions.view.clear()
        self.suggestions.show_message("Suggestion rejected.")

    def accept_suggestion(self) -> bool:
        """Put the suggestion in the text as one undo step; refuse if the text changed."""
        pending = self.pending
        if pending is None or pending.result is None:
            return False
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(pending.start)
        cursor.setPosition(pending.end, QTextCursor.MoveMode.KeepAnchor)
        if selected_text(cursor) != pending.original:
            self.suggestions.show_message(
                "The original text changed while the suggestion was written, so it was not "
                "applied. Select the text again and ask for a new suggestion.")
            self.pending = None
            return False
        cursor.beginEditBlock()
        if pending.action.use == "insert":
            cursor.setPosition(pending.end)
            addition = pending.result.text
            cursor.insertText(addition if addition[:1].isspace() else " " + addition)
        else:
            cursor.insertText(pending.result.text)
        cursor.endEditBlock()
        self.pending = None
        self.suggestions.show_message("Suggestion accepted (Undo takes it back).")
        return True

    # --- translation, summaries, drops ---------------------------------------------------
    def _text_to_translate(self, whole: bool) -> tuple[str, bool]:
        cursor = self.editor.textCursor()
        if not whole and cursor.hasSelection():
            self._translated_range = (cursor.selectionStart(), cursor.selectionEnd())
            return selected_text(cursor), False
        self._translated_range = None
        return self.editor.toPlainText(), True

    def insert_text(self, text: str) -> None:
        """Put `text` after the selection (or at the cursor), as one undo step."""
        cursor = self.editor.textCursor()
        cursor.setPosition(cursor.selectionEnd())
        at_end = cursor.atEnd()
        cursor.beginEditBlock()
        cursor.insertText(("\n\n" if cursor.position() > 0 else "") + text
                          + ("" if at_end else "\n\n"))
        cursor.endEditBlock()
        self.editor.setTextCursor(cursor)

    def replace_translated(self, text: str) -> None:
        cursor = QTextCursor(self.editor.document())
        span = self._translated_range
        if span is None:
            cursor.select(QTextCursor.SelectionType.Document)
        else:
            cursor.setPosition(span[0])
            cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
        cursor.beginEditBlock()
        cursor.insertText(text)
        cursor.endEditBlock()

    def _summarize_with(self, start: Callable[[], None]) -> None:
        self.summary_dock.show()
        self.summary_dock.raise_()
        start()

    def _text_to_summarize(self) -> tuple[str, str]:
        """The selection, or the whole text; and what to call it."""
        cursor = self.editor.textCursor()
        if cursor.hasSelection():
            return selected_text(cursor), "The selection"
        return self.editor.toPlainText(), self.path.name if self.path else "Your text"

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_sources(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if dropped_sources(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        sources = dropped_sources(event.mimeData())
        event.acceptProposedAction()
        # A link the user chooses to insert goes where it was dropped, when that was the text.
        at = self.editor.viewport().mapFrom(self, event.position().toPoint())
        position = self.editor.cursorForPosition(at).position() \
            if self.editor.viewport().rect().contains(at) else None
        # Questions (add this model? download this page?) come after the drop returns: the
        # app the drag came from waits for the drop to end (Windows' Explorer freezes).
        QTimer.singleShot(0, lambda: self.drop_files(
            [s if is_web_address(s) else Path(s) for s in sources], position))

    def drop_files(self, sources: list[Path | str], position: int | None = None) -> None:
        """Models are offered as models (a model link opens the download dialog), links are
        offered for a summary (they must be downloaded); every other file is summarized, in
        turn. Cancel on a question drops the rest of the drop."""
        documents: list[Path | str] = []
        for source in sources:
            if isinstance(source, str):
                if urlsplit(source).path.lower().endswith(".gguf"):
                    self.open_download_dialog(source)
                    continue
                answer = self.offer_web_page(source, position)
                if answer == "cancel":
                    return
                if answer == "summarize":
                    documents.append(source)
            elif source.suffix.lower() == ".gguf":
                self.offer_model(source)
            else:
                documents.append(source)
        if documents:
            self._summarize_with(lambda: self.summary.add(documents))

    def offer_web_page(self, address: str, position: int | None = None) -> str:
        """Ask before going online: "summarize" the page, "insert" its link, or "cancel"."""
        box = QMessageBox(QMessageBox.Icon.Question, "Web page",
                          f"Summarize the page at {address}?\n\nWriter downloads this one "
                          "page to read it; nothing else leaves your computer.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                          | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Yes).setText("Download and summarize")
        box.button(QMessageBox.StandardButton.No).setText("Insert the link")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.No:
            cursor = self.editor.textCursor()
            if position is not None:
                cursor.setPosition(min(position, self.editor.document().characterCount() - 1))
            cursor.insertText(address)
            return "insert"
        return "summarize" if answer == QMessageBox.StandardButton.Yes else "cancel"

    def offer_model(self, path: Path) -> None:
        answer = QMessageBox.question(
            self, "Add model", f"Add {path.name} as a model and use it now? Its folder is "
            "added to the folders searched for models.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        folder = str(path.parent)
        if folder not in self.prefs.extra_model_dirs and path.parent not in self.folders:
            self.prefs.extra_model_dirs.append(folder)
            settings.save(self.prefs)
            self.folders.append(path.parent)
        self.load_model(str(path))

    # --- files --------------------------------------------------------------------------
    def _update_title(self) -> None:
        name = self.path.name if self.path else "Untitled"
        self.setWindowModified(self.editor.document().isModified())
        self.setWindowTitle(f"{name}[*] — Writer")

    def _update_words(self) -> None:
        self.words_label.setText(f"{len(self.editor.toPlainText().split())} words")

    def _confirm_discard(self) -> bool:
        if not self.editor.document().isModified():
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", "Save your changes first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def set_text(self, text: str, path: Path | None, modified: bool = False) -> None:
        self.editor.setPlainText(text)
        self.path = path
        self.editor.document().setModified(modified)
        self._update_title()

    def new_file(self) -> None:
        if self._confirm_discard():
            self.set_text("", None)

    def open_dialog(self) -> None:
        if not self._confirm_discard():
            return
        name, _ = QFileDialog.getOpenFileName(self, "Open", "", TEXT_FILTER)
        if name:
            self.open_path(Path(name))

    def open_path(self, path: Path) -> bool:
        try:
            text = file_ops.read_text_file(path)
        except WriterError as exc:
            QMessageBox.warning(self, "Open", str(exc))
            return False
        self.set_text(text, path)
        self._add_recent(path)
        return True

    def import_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import document", "",
            "Documents (*.txt *.md *.html *.htm *.pdf *.docx *.odt *.epub *.rtf);;All files (*)")
        if name:
            self.import_path(Path(name))

    def import_path(self, path: Path) -> None:
        """Read any supported document off the GUI thread and put its text in the editor."""
        from writer_app.documents.loader import load_document

        def done(text: str) -> None:
            if self._confirm_discard():
                self.set_text(text, None, modified=True)

        self.runner.run(lambda _ctx: load_document(path).text(), on_done=done,
                        on_failed=lambda m: self._warn("Import", m))

    def _warn(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        name, _ = QFileDialog.getSaveFileName(self, "Save as", str(self.path or ""),
                                              TEXT_FILTER)
        return self.save_to(Path(name)) if name else False

    def save_to(self, path: Path) -> bool:
        try:
            file_ops.write_atomically(path, self.editor.toPlainText())
        except WriterError as exc:
            QMessageBox.warning(self, "Save", str(exc))
            return False
        self.path = path
        self.editor.document().setModified(False)
        file_ops.clear_autosave()
        self._add_recent(path)
        self._update_title()
        return True

    def _add_recent(self, path: Path) -> None:
        recent = [str(path), *(p for p in self.prefs.recent_files if p != str(path))]
        self.prefs.recent_files = recent[:MAX_RECENT]
        settings.save(self.prefs)
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.prefs.recent_files:
            self.recent_menu.addAction(self._action(
                p, lambda _=False, p=p: self._confirm_discard() and self.open_path(Path(p))))
        self.recent_menu.setEnabled(bool(self.prefs.recent_files))

    def _autosave(self) -> None:
        doc = self.editor.document()
        if not doc.isModified() or doc.revision() == self._autosaved_revision:
            return
        try:
            file_ops.autosave(self.editor.toPlainText(), self.path)
            self._autosaved_revision = doc.revision()
        except WriterError as exc:
            self.statusBar().showMessage(f"Autosave failed: {exc}", 5000)

    def offer_recovery(self) -> bool:
        """After a crash: offer the autosaved text back. True when it was restored."""
        recovery = file_ops.pending_recovery()
        if recovery is None or not recovery.text:
            return False
        answer = QMessageBox.question(
            self, "Recover unsaved text",
            "Writer did not close properly last time. Restore the unsaved text "
            f"({len(recovery.text.split())} words)?")
        if answer != QMessageBox.StandardButton.Yes:
            file_ops.clear_autosave()
            return False
        self.set_text(recovery.text, Path(recovery.path) if recovery.path else None,
                      modified=True)
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._confirm_discard():
            event.ignore()
            return
        self.runner.cancel_all()
        self.runner.wait(10000)
        self.host.close()
        file_ops.clear_autosave()
        self._save_layout()
        event.accept()
