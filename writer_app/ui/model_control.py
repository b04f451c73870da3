"""The model as the user handles it: the Model menu, the status bar's model and device,
loading another model, adding a model file, and downloads.

The menu lists what the last look through the model folders found; each look runs in
the I/O pool (model headers are read there, and cached), when the window opens, when
the menu opens and when a folder changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
)

from writer_app import paths, settings
from writer_app.engine import default_model, memory
from writer_app.engine.catalog import CatalogEntry, load_catalog
from writer_app.engine.discovery import FoundModel
from writer_app.engine.engine import Engine
from writer_app.engine.errors import EngineError
from writer_app.engine.hardware import available_memory
from writer_app.engine.model_info import ModelInfo
from writer_app.ui import operations
from writer_app.ui.catalog_dialog import CatalogDialog
from writer_app.ui.download_dialog import DownloadDialog
from writer_app.ui.jobs import JobRunner
from writer_app.ui.model_host import ModelHost
from writer_app.ui.server_control import ServerControl, served_by, status_texts

# Folder changes come in bursts (a download writes its .part file many times).
RESCAN_DELAY_MS = 500
FIT_LABELS = {"fits": "fits in memory", "tight": "tight in memory",
              "too big": "too big for this machine's memory"}
SOURCE_HEADINGS = {"Writer": "Writer's models", "Hugging Face cache":
                   "From the Hugging Face cache"}


def engine_name(engine: Engine) -> str:
    backend = served_by(engine)
    return f"{backend.model} on {backend.host}" if backend else engine.info.path.name


def model_label(info: ModelInfo) -> str:
    return (f"Model: {info.path.name} ({info.architecture}, {info.parameters_label}, "
            f"{info.quantization}, context {info.context_length})")


@dataclasses.dataclass
class StatusWidgets:
    model: QLabel
    device: QLabel
    busy: QProgressBar


class ModelControl(QObject):
    sig_models_found = Signal(object)  # list[FoundModel]: a look through the folders ended

    def __init__(self, host: ModelHost, runner: JobRunner, folders: list[Path],
                 prefs: Callable[[], settings.Settings],
                 apply_settings: Callable[[settings.Settings], None], menu: QMenu,
                 status: StatusWidgets, window: QMainWindow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.runner = runner
        self.folders = folders
        self.prefs = prefs
        self.apply_settings = apply_settings
        self.menu = menu
        self.status = status
        self.window = window
        self.found: list[FoundModel] = []
        self._quiet = False  # a failure of the load at start-up goes to the status bar only
        self.download_dialog: DownloadDialog | None = None
        self.catalog_dialog: CatalogDialog | None = None
        self._scanning = False
        self.rescan_timer = QTimer(self)
        self.rescan_timer.setSingleShot(True)
        self.rescan_timer.setInterval(RESCAN_DELAY_MS)
        self.rescan_timer.timeout.connect(self.rescan)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _d: self.rescan_timer.start())
        menu.aboutToShow.connect(self._menu_opening)
        menu.aboutToHide.connect(self._menu_closed)
        self._refill_when_closed = False
        host.sig_loading.connect(self._loading)
        host.sig_model_loaded.connect(self._loaded)
        host.sig_load_failed.connect(self._load_failed)
        self.servers = ServerControl(host, runner, prefs, window, self._load_local, self)
        self._watch_folders()
        self.fill_menu()

    # --- finding models ---------------------------------------------------------------
    def _watch_folders(self) -> None:
        # Models sit in publisher/model/ folders too (LM Studio): the folders searched and
        # each model's own folder, as the last search found them.
        wanted = list(dict.fromkeys([*(str(f) for f in self.folders if f.is_dir()),
                                     *(str(m.path.parent) for m in self.found)]))
        known = set(self.watcher.directories())
        missing = [f for f in wanted if f not in known]
        if missing:
            self.watcher.addPaths(missing)

    def rescan(self) -> None:
        if self._scanning:
            self.rescan_timer.start()  # once this look ends
            return
        self._scanning = True
        operations.find_models(self.runner, list(self.folders), self.prefs().model_stores(),
                               operations.Callbacks(done=self._found,
                                                    failed=self._scan_failed))

    def _found(self, found: list[FoundModel]) -> None:
        self._scanning = False
        changed = found != self.found
        self.found = found
        self._watch_folders()
        if changed:
            if self.menu.isVisible():  # not under the user's pointer: when it closes
                self._refill_when_closed = True
            else:
                self.fill_menu()
        self.sig_models_found.emit(found)

    def _menu_closed(self) -> None:
        if self._refill_when_closed:
            self._refill_when_closed = False
            QTimer.singleShot(0, self.fill_menu)  # after the triggered action has run

    def _scan_failed(self, message: str) -> None:
        self._scanning = False
        self._status(f"Looking for models failed: {message}")

    def _menu_opening(self) -> None:
        self.fill_menu()
        self.rescan()  # the menu is refilled when this look finds something new

    def fill_menu(self) -> None:
        menu = self.menu
        menu.clear()
        engine = self.host.engine
        current = engine.info.path if engine and not served_by(engine) else None
        if not self.found:
            menu.addAction("Looking for models…" if self._scanning
                           else "No models found yet").setEnabled(False)
        source = ""
        free, cap = available_memory(), self.prefs().context_length_cap
        for found in self.found:
            if found.source != source:  # each source's models under its name
                source = found.source
                menu.addAction(SOURCE_HEADINGS.get(source, f"From {source}")).setEnabled(False)
            if found.info is None:
                menu.addAction(f"    {found.label} — unusable: {found.error}").setEnabled(False)
                continue
            i = found.info
            fit, needed, _ = memory.model_fit(i, cap, free)
            item = QAction(f"    {found.label}  ({i.architecture}, {i.parameters_label}, "
                           f"{i.quantization}, context {i.context_length}, "
                           f"{i.file_size / 2**20:.0f} MiB; {FIT_LABELS[fit]})", menu)
            item.setToolTip(f"Needs about {memory.gib(needed)} of memory; "
                            f"{memory.gib(free)} is free")
            item.triggered.connect(lambda _=False, p=found.path: self.load_model(str(p)))
            item.setCheckable(True)
            item.setChecked(found.path == current)
            menu.addAction(item)
        menu.addSeparator()
        self.servers.fill_menu(menu)
        menu.addSeparator()
        on_hf = QAction("Run GGUF models with transformers (full precision, GPU)", menu)
        on_hf.setCheckable(True)
        on_hf.setChecked(self.prefs().backend == "transformers")
        on_hf.triggered.connect(self.use_transformers)
        menu.addAction(on_hf)
        add = QAction("Add model file…", menu)
        add.triggered.connect(self.add_model_dialog)
        menu.addAction(add)
        get = QAction("Get models…", menu)
        get.triggered.connect(lambda: self.open_catalog())
        menu.addAction(get)
        download = QAction("Download a model by its link…", menu)
        download.triggered.connect(lambda: self.open_download_dialog())
        menu.addAction(download)
        menu.addAction(f"Your models folder: {paths.user_models_dir()}").setEnabled(False)

    # --- loading ------------------------------------------------------------------------
    def start(self) -> None:
        """At start-up: the server used last when it is allowed, else the local model the
        settings name (or the default); either failing says so in the status bar."""
        if not self.servers.start():
            self._load_local()

    def _load_local(self) -> None:
        self.load_model(self.prefs().model_path or None, quiet=True)

    def reload(self, old: settings.Settings, new: settings.Settings) -> None:
        """The model in use again when the settings it was made with changed: a local one's
        engine settings, or the requests a server is sent at once."""
        engine = self.host.engine
        backend = served_by(engine)
        if backend is not None:
            if old.server_requests != new.server_requests:
                self.servers.connect_to(backend.base, backend.api_key or "", backend.model)
        elif engine is not None and old.engine_config() != new.engine_config():
            self.load_model(str(engine.info.path))

    def load_model(self, name_or_path: str | None, quiet: bool = False) -> None:
        """Load a model the user picked (a failure is shown in a dialog), or the one the
        settings name at start-up (`quiet`: a failure is shown in the status bar)."""
        self._quiet = quiet
        if not quiet:
            self.servers.starting = False  # the user's choice now
        prefs = self.prefs()
        config = prefs.engine_config()
        if not quiet and name_or_path:
            context = self._context_that_fits(name_or_path, config.context_length_cap)
            if context is None:
                return
            config = dataclasses.replace(config, context_length_cap=context)
        self.host.load(name_or_path, list(self.folders), config, prefs.model_stores())

    def _context_that_fits(self, name_or_path: str, cap: int) -> int | None:
        """The context cap to load with: the settings' one, or, for a model too big for
        the memory free at that context, a smaller one the user agreed to (None: do not
        load). A model needing more than is free would get the app killed."""
        found = next((m for m in self.found if m.info is not None
                      and str(m.path) == name_or_path), None)
        on_gpu = self.host.engine is not None and self.host.engine.device.offloaded
        if found is None or found.info is None or on_gpu:
            return cap  # not known here (the engine checks), or on the GPU
        free = available_memory()
        fit, needed, n_ctx = memory.model_fit(found.info, cap, free)
        if fit != "too big":
            return cap
        smaller = memory.largest_context(memory.Shape.of(found.info), free, n_ctx)
        what = (f"{found.label} needs about {memory.gib(needed)} of memory at a context of "
                f"{n_ctx} tokens, and {memory.gib(free)} is free.")
        if smaller is None:
            QMessageBox.warning(self.window, "Too big for this machine",
                                f"{what} It does not fit even with a short context: close "
                                "other programs, or pick a smaller model.")
            return None
        answer = QMessageBox.question(
            self.window, "Too big for this machine",
            f"{what} Load it with a context of {smaller} tokens, which fits? (A shorter "
            "context means shorter texts at a time.)")
        return smaller if answer == QMessageBox.StandardButton.Yes else None

    def _loading(self, name: str) -> None:
        self.status.model.setText(f"Loading {name}…")
        self.status.busy.show()

    def _loaded(self, engine: Engine) -> None:
        self.status.busy.hide()
        self._quiet = False  # only the load at start-up is quiet
        self._show_engine(engine)
        self.status.model.setToolTip("")
        self.fill_menu()

    def _show_engine(self, engine: Engine) -> None:
        backend = served_by(engine)
        if backend is not None:
            model, device, tip = status_texts(backend)
            self.status.model.setText(model)
            self.status.device.setText(device)
            self.status.device.setToolTip(tip)
        else:
            self.status.model.setText(model_label(engine.info))
            self.status.device.setText(f"Device: {engine.device.device}")
            self.status.device.setToolTip("\n".join(filter(None, [engine.device.cpu,
                                                                  engine.device.reason])))

    def _load_failed(self, message: str) -> None:
        self.status.busy.hide()
        if self.servers.starting:
            self.servers.start_failed(message)
            return
        quiet, self._quiet = self._quiet, False
        current = self.host.engine
        if current is not None:
            self._show_engine(current)
            self.status.model.setToolTip(f"The last load failed: {message}")
            message += f"\n\nStill using {engine_name(current)}."
        else:
            self.status.model.setText(f"No model: {message}")
        if not quiet:
            QMessageBox.warning(self.window, "Model", message)

    def use_transformers(self, checked: bool) -> None:
        self.apply_settings(dataclasses.replace(
            self.prefs(), backend="transformers" if checked else "auto"))

    # --- adding models ------------------------------------------------------------------
    def add_model_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Add model", "",
                                              "GGUF models (*.gguf)")
        if name:
            self.offer_model(Path(name))

    def offer_model(self, path: Path) -> None:
        answer = QMessageBox.question(
            self.window, "Add model", f"Add {path.name} as a model and use it now? Its "
            "folder is added to the folders searched for models.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        prefs = self.prefs()
        folder = str(path.parent)
        if folder not in prefs.extra_model_dirs and path.parent not in self.folders:
            prefs.extra_model_dirs.append(folder)
            operations.save_settings(self.runner, prefs, self._status)
            self.folders.append(path.parent)
            self._watch_folders()
        self.load_model(str(path))
        self.rescan()

    def open_catalog(self, first_run: bool = False) -> CatalogDialog | None:
        """The models of other apps and the catalog, each with whether it fits."""
        if self.catalog_dialog is None:
            try:
                entries = load_catalog()
            except EngineError as exc:
                QMessageBox.warning(self.window, "Get models", str(exc))
                return None
            self.catalog_dialog = CatalogDialog(
                entries, lambda: self.found, lambda: self.prefs().context_length_cap,
                available_memory, self.window)
            self.catalog_dialog.sig_use.connect(self.load_model)
            self.catalog_dialog.sig_download.connect(self._download_entry)
            self.sig_models_found.connect(lambda _f: self.catalog_dialog.refresh()
                                          if self.catalog_dialog else None)
        if first_run:
            self.catalog_dialog.first_run()
        self.catalog_dialog.refresh()
        self.catalog_dialog.show()
        self.catalog_dialog.raise_()
        return self.catalog_dialog

    def _download_entry(self, entry: CatalogEntry) -> None:
        dialog = self.download_dialog
        if dialog is not None and dialog.running:
            QMessageBox.information(self.window, "Get models",
                                    "A download is under way: stop it or let it end first.")
            self.open_download_dialog()
            return
        self.open_download_dialog(entry.url)
        if self.download_dialog is not None:
            self.download_dialog.start(entry.sha256,
                                       entry.size if entry.size_verified else None)

    def offer_better_model(self) -> None:
        """Once: when the built-in model is the only one found, say so and show the
        catalog (other apps' models first). Dismissed once, it stays dismissed."""
        prefs = self.prefs()
        if prefs.model_offer_dismissed or prefs.model_path:
            return
        own = [m for m in self.found if m.info is not None and m.source == "Writer"]
        if any(m.path.name != default_model.FILE_NAME for m in own):
            return  # the user has models of their own
        self.open_catalog(first_run=True)
        prefs.model_offer_dismissed = True
        operations.save_settings(self.runner, prefs, self._status)

    def _status(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 5000)

    def open_download_dialog(self, link: str = "") -> None:
        if self.download_dialog is None:
            self.download_dialog = DownloadDialog(self.runner, paths.user_models_dir(),
                                                  self.window)
            self.download_dialog.sig_downloaded.connect(self._downloaded)
        if link and not self.download_dialog.running:
            self.download_dialog.link.setText(link)
        self.download_dialog.show()
        self.download_dialog.raise_()
        self.download_dialog.activateWindow()
        self.download_dialog.link.setFocus()

    def _downloaded(self, path: str) -> None:
        self.rescan()
        answer = QMessageBox.question(self.window, "Model downloaded",
                                      f"Use {Path(path).name} now?")
        if answer == QMessageBox.StandardButton.Yes:
            self.load_model(path)
