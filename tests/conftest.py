"""Shared fixtures. Sockets are blocked; the per-user folders point into a temporary one."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

NETBLOCK = Path(__file__).parent / "netblock"
sys.path.insert(0, str(NETBLOCK))
import sitecustomize  # noqa: E402  (installs the block on import)

sitecustomize.install()
# Child Pythons started by tests block the network too.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(NETBLOCK), *filter(None, [os.environ.get("PYTHONPATH")])])

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"

import keyring  # noqa: E402
from keyring.backends import fail  # noqa: E402

from writer_app.engine import default_model  # noqa: E402

DEFAULT_MODEL = MODELS / default_model.FILE_NAME


# Where other apps' model stores are found (engine/stores.py): a test sees only the
# stores it builds, never the machine's own.
STORE_VARIABLES = ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "OLLAMA_MODELS",
                   "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "LOCALAPPDATA",
                   "APPDATA")


@pytest.fixture(autouse=True)
def writer_home(tmp_path_factory: pytest.TempPathFactory,
                monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own config, data and cache folders, and a home folder of its
    own holding no other app's models."""
    home = tmp_path_factory.mktemp("writer-home")
    monkeypatch.setenv("WRITER_HOME", str(home))
    (home / "user").mkdir()
    monkeypatch.setenv("HOME", str(home / "user"))
    for name in STORE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # Never the machine's own keyring: none (tests that want one set their own), here and
    # in the processes a test starts.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.set_keyring(fail.Keyring())
    return home


@pytest.fixture(scope="session")
def default_model_path() -> Path:
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"{DEFAULT_MODEL} is missing: run `make test`, which places it")
    return DEFAULT_MODEL


@pytest.fixture(scope="session")
def test_model_path() -> Path:
    """Gemma 3 270M, the second test model (placed by `make test`)."""
    path = ROOT / "build" / "test-models" / "gemma-3-270m-q4_k_m.gguf"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make test`, which places it "
                    "(scripts/fetch_test_model.py)")
    return path


@pytest.fixture(scope="session")
def engine(default_model_path: Path) -> Iterator[object]:
    """The real default model, loaded once for the session."""
    from writer_app.engine.engine import Engine
    from writer_app.engine.model_info import read_model_info

    eng = Engine.load(read_model_info(default_model_path))
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def hf_engine(default_model_path: Path) -> Iterator[object]:
    """The default model through transformers, on the CPU, loaded once for the session."""
    from writer_app.engine.engine import Engine
    from writer_app.engine.model_info import read_model_info
    from writer_app.engine.types import EngineConfig

    eng = Engine.load(read_model_info(default_model_path),
                      EngineConfig(backend="transformers", device="cpu"))
    yield eng
    eng.close()


@pytest.fixture
def bare_window(qtbot):
    """The main window without a model (file and editing flows)."""
    from writer_app import paths
    from writer_app.settings import Settings
    from writer_app.ui.main_window import MainWindow

    w = MainWindow(Settings(), paths.model_search_dirs(), load_model=False)
    w.show()
    yield w
    if w.isVisible():
        w.editor.document().setModified(False)
        w.close()
    w.deleteLater()


@pytest.fixture
def window(qtbot):
    """The main window with the default model loaded. Closed here rather than by qtbot,
    which closes widgets before fixtures end and would meet the unsaved-changes question."""
    from writer_app import paths
    from writer_app.settings import Settings
    from writer_app.ui.main_window import MainWindow

    # No ghost-text probe: it would compete with what a test runs for the model and cores.
    w = MainWindow(Settings(ghost_text="off"), paths.model_search_dirs())
    w.show()
    qtbot.waitUntil(lambda: w.host.engine is not None and not w.host.loading, timeout=60000)
    yield w
    w.editor.document().setModified(False)
    w.close()
    w.deleteLater()


@pytest.fixture
def summaries(window) -> list:
    """(source, SummaryResult) of each summary the window's pane finishes, in order."""
    done: list = []
    window.summary.sig_summary_done.connect(lambda source, result: done.append((source,
                                                                                result)))
    return done


# Files the web server offers under /models/NAME (and /cut/NAME, which stops halfway).
MODEL_FILES: dict[str, Path] = {
    "SmolLM2-135M-Instruct.Q4_1.gguf": DEFAULT_MODEL,
    "harbour.gguf": Path(__file__).parent / "fixtures" / "harbour-libreoffice.pdf",
}


@pytest.fixture(scope="session")
def web_server() -> Iterator[str]:
    """A web server on loopback serving tests/fixtures, plus pages that misbehave: the
    address of its root, e.g. http://127.0.0.1:PORT/."""
    import time
    from http.server import SimpleHTTPRequestHandler
    from urllib.parse import unquote

    from .loopback import loopback_server

    fixtures = Path(__file__).parent / "fixtures"
    pdf = (fixtures / "harbour-libreoffice.pdf").read_bytes()
    html = (fixtures / "harbour.html").read_bytes()
    markdown = b"# Notes\n\nThe harbour was busy this year.\n\n- More ships came.\n"

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(fixtures), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, body: bytes, content_type: str, length: int | None = None) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            self.wfile.write(body)

        def _send_file(self, path: Path) -> None:
            """A file, or the part of it a Range header asks for (resumed downloads)."""
            data = path.read_bytes()
            start = 0
            ranged = self.headers.get("Range", "")
            if ranged.startswith("bytes="):
                start = int(ranged.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.end_headers()
                    return
            self.send_response(206 if start else 200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data) - start))
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            with contextlib.suppress(OSError):  # the client stopped: a cancelled download
                self.wfile.write(data[start:])

        def do_GET(self) -> None:
            if self.path == "/report":  # a PDF at an address without a suffix
                self._send(pdf, "application/pdf")
            elif self.path == "/empty.html":
                self._send(b"<html><head></head><body><script>x()</script></body></html>",
                           "text/html")
            elif self.path == "/huge":
                self._send(b"", "text/html", length=60 * 2**20)
            elif self.path.startswith("/models/"):
                self._send_file(MODEL_FILES[self.path.removeprefix("/models/")])
            elif self.path.startswith("/cut/"):  # the connection drops halfway
                data = MODEL_FILES[self.path.removeprefix("/cut/")].read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.close_connection = True
            elif self.path == "/login/model.gguf":  # a login wall where the model should be
                self._send(b"<html><body>Please log in</body></html>", "text/html")
            elif unquote(self.path) in ("/wiki/Гавань", "/a page.html"):
                self._send(html, "text/html; charset=utf-8")
            elif self.path == "/notes.md":  # a server that names no type
                self.send_response(200)
                self.send_header("Content-Length", str(len(markdown)))
                self.end_headers()
                self.wfile.write(markdown)
            elif self.path == "/to-ftp":
                self.send_response(302)
                self.send_header("Location", "ftp://127.0.0.1:1/file.txt")
                self.end_headers()
            elif self.path == "/picture":
                self._send(b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
            elif self.path == "/short":  # promises more than it sends
                self._send(html, "text/html", length=len(html) + 5000)
                self.close_connection = True
            elif self.path in ("/trickle", "/silent"):  # ten bytes a second, or nothing
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                try:
                    for _ in range(600):
                        if self.path == "/trickle":
                            self.wfile.write(b"<p>words.\n")
                            self.wfile.flush()
                        time.sleep(0.1 if self.path == "/silent" else 1.0)
                except OSError:
                    pass
            elif self.path == "/slow":  # a page that takes a minute to arrive
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                try:
                    for _ in range(600):
                        self.wfile.write(b"<p>" + b"slow words " * 6000 + b"</p>\n")
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:  # the client went away: what a cancel does
                    pass
            else:
                super().do_GET()

    with loopback_server(Handler) as port:
        yield f"http://127.0.0.1:{port}/"
