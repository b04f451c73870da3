"""The main window: it lays out the editor, the panes, the menus and the status bar, and
wires them to the flows that do the work (suggestions, files, the model, drops)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtGui import QKeySequence as Keys
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from writer_app import settings
from writer_app.engine.engine import Engine
from writer_app.tasks.actions import all_actions
from writer_app.tasks.spelling import SpellSession
from writer_app.ui import layout_memory, operations
from writer_app.ui.drops import Drops
from writer_app.ui.editor import Editor
from writer_app.ui.files import SAVE_WAIT_S, Files
from writer_app.ui.find_bar import FindBar
from writer_app.ui.ghost_control import GhostControl
from writer_app.ui.jobs import JobRunner
from writer_app.ui.model_control import ModelControl, StatusWidgets
from writer_app.ui.model_host import ModelHost
from writer_app.ui.read_aloud import ReadAloud, ReadAloudBar
from writer_app.ui.settings_dialog import SettingsDialog
from writer_app.ui.spelling import SpellHighlighter, add_spelling_actions
from writer_app.ui.suggestion_flow import SuggestionFlow
from writer_app.ui.suggestion_pane import SuggestionPane
from writer_app.ui.summary_pane import SummaryPane
from writer_app.ui.tone_marks import ToneBar, ToneMarks
from writer_app.ui.translation_pane import TranslationPane
from writer_app.ui.word_count import WordCount

StandardKey = Keys.StandardKey
log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, prefs: settings.Settings, folders: list[Path],
                 load_model: bool = True) -> None:
        super().__init__()
        self.prefs = prefs
        self.runner = JobRunner(self)
        self.host = ModelHost(self.runner, self)
        self._setup_editor()
        self._setup_panes()
        self._setup_status_bar()
        self._setup_menus()
        self._setup_flows(folders)
        self._setup_menu_actions()
        self.tone = ToneMarks(self.editor, self.runner, self.host.take, self.tone_bar, self)
        self.tone.sig_status.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.assist_menu.addAction(self._action("Check &tone", self.tone.check))
        self.reader = ReadAloud(self.editor, self.read_bar, lambda: self.prefs, self)
        self.assist_menu.addAction(self._action("Read &aloud", self.reader.start))
        self.ghosts = GhostControl(self.editor, self.runner, self.host, lambda: self.prefs,
                                   self.apply_settings, self.toolbar,
                                   lambda m: self.statusBar().showMessage(m, 5000), self)
        self._setup_connections()
        layout_memory.fit_to_screen(self, 1100, 720)
        layout_memory.restore(self)
        self.models.rescan()
        if load_model:
            self.models.start()

    # --- layout ---------------------------------------------------------------------------
    def _setup_editor(self) -> None:
        self.editor = Editor(self)
        self.editor.setPlaceholderText("Start writing…")
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.find_bar = FindBar(self.editor, self)
        self.find_bar.hide()
        self.tone_bar = ToneBar(self)
        self.read_bar = ReadAloudBar(self)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.editor, 1)
        column.addWidget(self.tone_bar)
        column.addWidget(self.read_bar)
        column.addWidget(self.find_bar)
        self.setCentralWidget(central)
        self.setAcceptDrops(True)

    def _setup_panes(self) -> None:
        self.suggestions = SuggestionPane(all_actions(self.prefs.custom_actions), self)
        self.suggestion_dock = self._dock("Suggestion", self.suggestions, "suggestion")
        self.translation = TranslationPane(self.runner, self.host.take,
                                           self.editor.selection_or_whole, self)
        self.translation_dock = self._dock("Translation", self.translation, "translation")
        self.summary = SummaryPane(self.runner, self.host.take, self._text_to_summarize,
                                   lambda: self.prefs.summary_budget, self,
                                   map_engine=self._summary_map_engine)
        self.summary_dock = self._dock("Summary", self.summary, "summary")
        self.tabifyDockWidget(self.suggestion_dock, self.translation_dock)
        self.tabifyDockWidget(self.translation_dock, self.summary_dock)
        self.suggestion_dock.raise_()

    def _dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _setup_status_bar(self) -> None:
        self.model_label = QLabel("Looking for a model…", self)
        self.device_label = QLabel("", self)
        self.speed_label = QLabel("", self)
        self.words_label = QLabel("0 words", self)
        self.encoding_label = QLabel("", self)  # a file's encoding when it is not UTF-8
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # an indeterminate bar while a model loads
        self.busy.setMaximumWidth(120)
        self.busy.hide()
        bar = self.statusBar()
        # No permanent widget stretches: the room on the left is where passing messages
        # (a guessed encoding, an autosave that failed) are shown.
        for widget in (self.busy, self.model_label, self.device_label, self.speed_label,
                       self.encoding_label, self.words_label):
            bar.addPermanentWidget(widget)

    def _setup_menus(self) -> None:
        menu = self.menuBar()
        self.file_menu = menu.addMenu("&File")
        self.recent_menu = QMenu("Open &Recent", self)
        self.edit_menu = menu.addMenu("&Edit")
        self.assist_menu = menu.addMenu("&Assist")
        self.model_menu = menu.addMenu("&Model")
        self.view_menu = menu.addMenu("&View")
        self.toolbar = self.addToolBar("Actions")
        self.toolbar.setObjectName("toolbar-actions")

    def _setup_flows(self, folders: list[Path]) -> None:
        prefs = lambda: self.prefs  # noqa: E731  (the settings object is replaced on apply)
        self.files = Files(self.editor, self.runner, prefs, self, self.recent_menu, self)
        self.suggesting = SuggestionFlow(
            self.editor, self.suggestions, self.runner, self.host, prefs,
            self.suggestion_dock.show, self,
            spell=lambda: self.spelling.session or self._spell_session())
        self.models = ModelControl(self.host, self.runner, folders, prefs, self.apply_settings,
                                   self.model_menu,
                                   StatusWidgets(self.model_label, self.device_label,
                                                 self.busy), self, self)
        self.drops = Drops(self, self.editor, self.models, self._summarize_sources, self)
        self.spelling = SpellHighlighter(self.editor, self.runner, self._spell_session)
        self.spelling.enabled = self.prefs.spell_check != "off"
        self.editor.extend_context_menu = lambda menu, at: add_spelling_actions(
            menu, self.editor, self.spelling, at)
        self.files.sig_opened.connect(lambda _path: self.spelling.new_document())
        self.spelling.prepare()

    def _action(self, text: str, slot: Callable[..., object],
                shortcut: StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        return action

    def _setup_menu_actions(self) -> None:
        files, editor, a = self.files, self.editor, self._action
        self.file_menu.addAction(a("&New", files.new_file, StandardKey.New))
        self.file_menu.addAction(a("&Open…", files.open_dialog, StandardKey.Open))
        self.file_menu.addMenu(self.recent_menu)
        self.file_menu.addAction(a("Reopen with &Encoding…", files.reopen_with_encoding_dialog))
        for item in (a("&Import document…", files.import_dialog),
                     a("&Save", lambda: files.save(), StandardKey.Save),
                     a("Save &As…", lambda: files.save_as(), StandardKey.SaveAs)):
            self.file_menu.addAction(item)
        self.file_menu.addSeparator()
        self.file_menu.addAction(a("&Quit", self.close, StandardKey.Quit))
        for action in (a("&Undo", editor.undo, StandardKey.Undo),
                       a("&Redo", editor.redo, StandardKey.Redo), None,
                       a("Cu&t", editor.cut, StandardKey.Cut),
                       a("&Copy", editor.copy, StandardKey.Copy),
                       a("&Paste", editor.paste, StandardKey.Paste),
                       a("Select &All", editor.selectAll, StandardKey.SelectAll), None,
                       a("&Find…", self.show_find, StandardKey.Find),
                       a("Find &next", self.find_bar.find_next, StandardKey.FindNext),
                       a("R&eplace…", self.show_find, StandardKey.Replace), None,
                       a("&Settings…", self.open_settings, StandardKey.Preferences)):
            self.edit_menu.addAction(action) if action else self.edit_menu.addSeparator()
        for writing in self.suggestions.writing_actions:
            if not writing.needs_instruction:
                item = a(writing.label, lambda _=False, n=writing.name: self.suggesting.suggest(n))
                self.assist_menu.addAction(item)
                self.toolbar.addAction(item)
        self.assist_menu.addSeparator()
        self.assist_menu.addAction(a("&Stop", self.suggesting.stop))
        self.assist_menu.addSeparator()
        self.assist_menu.addAction(a("Summari&ze my text", lambda: self._show_summary(
            self.summary.summarize_own_text)))
        self.assist_menu.addAction(a("Summarize a &document…", lambda: self._show_summary(
            self.summary.open_dialog)))
        for dock in (self.suggestion_dock, self.translation_dock, self.summary_dock):
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addAction(self.toolbar.toggleViewAction())

    def _setup_connections(self) -> None:
        pane, flow = self.suggestions, self.suggesting
        pane.sig_run.connect(flow.suggest)
        pane.sig_accept.connect(flow.accept)
        pane.sig_reject.connect(flow.reject)
        pane.sig_regenerate.connect(flow.regenerate)
        pane.sig_stop.connect(flow.stop)
        flow.sig_speed.connect(self.speed_label.setText)
        self.translation.sig_insert.connect(self.editor.insert_block)
        self.translation.sig_replace.connect(lambda text, span: self.editor.replace(span, text))
        self.summary.sig_insert.connect(self.editor.insert_block)
        self.summary.ask_box.sig_show_in_editor.connect(self._show_passage)
        self.files.sig_title_changed.connect(self.setWindowTitle)
        self.files.sig_status.connect(lambda m: self.statusBar().showMessage(m, 10000))
        self.files.sig_encoding.connect(self._show_encoding)
        self.editor.document().modificationChanged.connect(self.setWindowModified)
        self.word_count = WordCount(self.editor.document(), self)
        self.word_count.sig_counted.connect(lambda n: self.words_label.setText(f"{n} words"))
        self.files.set_text("", None)


    # --- what the panes take from the editor ----------------------------------------------
    def _show_passage(self, text: str) -> None:
        """A cited passage of the writer's own text: the cursor goes there, selecting
        its start (the passage is the Markdown block as read, so its opening is found)."""
        opening = " ".join(text.split()[:8])
        found = self.editor.document().find(opening)
        if not found.isNull():
            self.editor.setTextCursor(found)
            self.editor.ensureCursorVisible()
            self.editor.setFocus()

    def _summary_map_engine(self) -> Engine | None:
        """The model the settings name for a long document's parts (on the inference lane,
        as a summary starts)."""
        prefs = self.prefs
        return self.host.take_map(prefs.summary_map_model, list(self.models.folders),
                                  prefs.engine_config(), prefs.model_stores())

    def _text_to_summarize(self) -> tuple[str, str]:
        """The selection, or the whole text; and what to call it."""
        text, span = self.editor.selection_or_all()
        if span is not None:
            return text, "The selection"
        return text, self.files.path.name if self.files.path else "Your text"

    def _show_summary(self, start: Callable[[], None]) -> None:
        self.summary_dock.show()
        self.summary_dock.raise_()
        start()

    def _summarize_sources(self, sources: Sequence[Path | str]) -> None:
        self._show_summary(lambda: self.summary.add(sources))

    # --- settings, find, drops, close ---------------------------------------------------
    def show_find(self) -> None:
        self.find_bar.show()
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_bar.find_text.setText(selected)
        self.find_bar.find_text.setFocus()
        self.find_bar.find_text.selectAll()

    def _show_encoding(self, encoding: str, note: str) -> None:
        """The file's encoding beside the word count, when it is not UTF-8; a guess says
        so, and its tooltip says how to choose another."""
        utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8")
        self.encoding_label.setText("" if utf8 else encoding + (" (guessed)" if note else ""))
        self.encoding_label.setToolTip(note)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.prefs, self, self.models.found)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(dialog.result_settings)

    def _spell_session(self) -> SpellSession:
        """Made in the background (it loads dictionaries), from the current settings."""
        return SpellSession(self.prefs.spell_check, self.prefs.english_spelling)

    def apply_settings(self, new: settings.Settings) -> None:
        """Save and apply: sampling at the next request, actions now, the rest by a reload."""
        old, self.prefs = self.prefs, new
        if (old.spell_check, old.english_spelling) != (new.spell_check, new.english_spelling):
            self.spelling.session = None  # the next check makes one with the new choice
            self.spelling.enabled = new.spell_check != "off"
            self.spelling.forget()
        operations.save_settings(self.runner, new,
                                 lambda m: self.statusBar().showMessage(m, 5000))
        self.suggestions.set_actions(all_actions(new.custom_actions))
        if old.ghost_text != new.ghost_text:
            self.ghosts.follow_settings()
        if ((old.summary_map_model, old.engine_config())
                != (new.summary_map_model, new.engine_config())):
            self.host.drop_map()  # the next summary loads the one named now, as set now
        if not self.models.servers.settings_changed():  # a server taken back is left
            self.models.reload(old, new)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.drops.enter(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.drops.enter(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drops.drop(event)

    def offer_better_model(self) -> None:
        """Once the first look for models ends: if only the built-in model was found,
        say so once and show the catalog."""
        def found(_models: object) -> None:
            self.models.sig_models_found.disconnect(found)
            self.models.offer_better_model()

        if self.models.found:
            self.models.offer_better_model()
        else:
            self.models.sig_models_found.connect(found)

    def offer_recovery(self) -> bool:
        return self.files.offer_recovery()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.files.is_modified():
            # Asked first. Save closes the window once the text is on disk (and asks again
            # if more was typed meanwhile); Discard closes it at once.
            event.ignore()
            # Closing again from inside this event would be ignored by Qt: after it.
            self.files.confirm_discard(lambda: QTimer.singleShot(0, self.close))
            return
        self._shut_down()
        event.accept()

    def _shut_down(self) -> None:
        """Stop the work in the background (it stops within a token), wait only for saves
        being written, and close the engine after the job it runs."""
        self.reader.shut_down()  # the voice stops with the window
        stopped = self.runner.cancel_all()
        if stopped:
            log.info("closing: stopped %d background job(s)", len(stopped))
        if not self.files.shutdown():
            log.warning("closing: a save did not finish in %d s", SAVE_WAIT_S)
        self.host.close()
        layout_memory.save(self)
