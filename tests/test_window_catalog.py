"""Model ▸ Get models…: other apps' models first, then the catalog with what fits and what
is on disk; the first-run offer; a load too big for the memory free asks first."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from PySide6.QtWidgets import QMessageBox

from writer_app import paths
from writer_app.engine import catalog
from writer_app.settings import Settings
from writer_app.ui import model_control

from .helpers import answer_next_dialog
from .range_server import range_server


@pytest.fixture
def lm_studio_model(default_model_path, writer_home):
    """The default model as LM Studio keeps it, in this test's home."""
    folder = writer_home / "user" / ".lmstudio" / "models" / "pub" / "repo"
    folder.mkdir(parents=True)
    return shutil.copyfile(default_model_path, folder / "from-lm-studio.gguf")


def test_other_apps_models_come_first_then_the_catalog(qtbot, window, lm_studio_model):
    window.models.rescan()
    qtbot.waitUntil(lambda: any(m.source == "LM Studio" for m in window.models.found),
                    timeout=30000)
    dialog = window.models.open_catalog()
    rows = dialog.row_texts()
    assert rows[0][0].startswith("from-lm-studio.gguf") and rows[0][3] == "yes (LM Studio)"
    assert rows[0][2].startswith("fits") and rows[0][-1] == "Use"
    names = [r[0] for r in rows[1:]]
    assert len(names) == len(catalog.load_catalog())
    assert all(r[-1] == "Download" and r[2].split()[0] in ("fits", "tight", "too")
               for r in rows[1:])
    # Use: the model on disk is loaded.
    dialog.table.cellWidget(0, 5).click()
    qtbot.waitUntil(lambda: window.host.engine is not None and not window.host.loading
                    and window.host.engine.info.path == lm_studio_model, timeout=60000)
    dialog.close()


def test_a_catalog_download_from_the_window_is_checked(qtbot, window, tmp_path, monkeypatch,
                                                      default_model_path):
    data = default_model_path.read_bytes()
    entry = json.loads(catalog.catalog_file().read_text())["models"][0]
    with range_server() as server:
        server.put("stand-in.gguf", data)
        entry.update(id="stand-in", name="Stand-in", file_name="stand-in.gguf",
                     url=f"{server.url}hf/stand-in.gguf", size=len(data), size_verified=True,
                     sha256=hashlib.sha256(data).hexdigest())
        served = tmp_path / "catalog.json"
        served.write_text(json.dumps({"version": 1, "models": [entry]}))
        monkeypatch.setattr(catalog, "catalog_file", lambda: served)
        dialog = window.models.open_catalog()
        assert dialog.row_texts()[-1][-1] == "Download"
        answer_next_dialog(QMessageBox.StandardButton.No)  # "Use it now?"
        dialog.table.cellWidget(dialog.table.rowCount() - 1, 5).click()
        download = window.models.download_dialog
        qtbot.waitUntil(lambda: download.status.text().startswith("Downloaded"),
                        timeout=60000)
    assert (paths.user_models_dir() / "stand-in.gguf").read_bytes() == data
    qtbot.waitUntil(lambda: dialog.row_texts()[-1][3] == "yes (Writer)", timeout=30000)
    download.close()
    dialog.close()


def test_the_first_run_offer_is_shown_once(qtbot, bare_window):
    w = bare_window
    qtbot.waitUntil(lambda: bool(w.models.found), timeout=30000)
    w.offer_better_model()
    dialog = w.models.catalog_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.message.text().startswith("The built-in model is small and its words are "
                                            "weak. Get a better one")
    assert dialog.only_fitting.isChecked()
    assert w.prefs.model_offer_dismissed
    qtbot.waitUntil(lambda: Settings.__name__ and paths.settings_file().exists(), timeout=10000)
    assert json.loads(paths.settings_file().read_text())["model_offer_dismissed"] is True
    dialog.close()
    w.offer_better_model()
    assert not dialog.isVisible()  # dismissed once, it stays dismissed


def test_a_model_too_big_for_the_memory_free_asks_first(qtbot, window, monkeypatch,
                                                       default_model_path):
    qtbot.waitUntil(lambda: bool(window.models.found) and window.host.engine is not None
                    and not window.host.loading, timeout=60000)
    # 400 MiB free: the default model needs about 0.4 GiB at 8192 tokens, 0.3 at 5632.
    monkeypatch.setattr(model_control, "available_memory", lambda: 400 * 2**20)
    seen = answer_next_dialog(QMessageBox.StandardButton.Yes)
    window.models.load_model(str(default_model_path))
    assert "Load it with a context of 5632 tokens, which fits?" in seen[0]
    qtbot.waitUntil(lambda: window.host.engine is not None and not window.host.loading
                    and window.host.engine.context_length == 5632, timeout=60000)
    monkeypatch.setattr(model_control, "available_memory", lambda: 50 * 2**20)
    seen = answer_next_dialog(QMessageBox.StandardButton.Ok)
    window.models.load_model(str(default_model_path))
    assert "does not fit even with a short context" in seen[0]
    assert window.host.engine.context_length == 5632  # nothing was loaded
