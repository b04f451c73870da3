"""Small files the tests make with real tools."""

import os
import pwd
from pathlib import Path

import gguf
import numpy as np
from gguf import GGUFWriter


def write_tiny_gguf(path: Path, arch: str = "llama") -> None:
    """A valid GGUF (written by the gguf package) that holds no usable model."""
    w = GGUFWriter(str(path), arch)
    w.add_context_length(128)
    w.add_tensor("token_embd.weight", np.zeros((16, 8), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def model_with_fim(source: Path, path: Path) -> Path:
    """A copy of a model with fill-in-the-middle tokens declared in its header (as a code
    model's are): ids 4, 5 and 6, three of SmolLM2's own special tokens."""
    reader = gguf.GGUFReader(source)
    writer = gguf.GGUFWriter(path, arch=reader.fields["general.architecture"].contents())
    for field in reader.fields.values():
        if field.name == "general.architecture" or field.name.startswith("GGUF."):
            continue
        kind = field.types[0]
        writer.add_key_value(field.name, field.contents(), kind,
                             sub_type=field.types[-1] if kind == gguf.GGUFValueType.ARRAY
                             else None)
    for name, token in (("fim_pre", 4), ("fim_suf", 5), ("fim_mid", 6)):
        writer.add_uint32(f"tokenizer.ggml.{name}_token_id", token)
    for tensor in reader.tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype,
                               tensor.data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data)
    writer.close()
    return path


def fresh_context(engine) -> None:
    """The next request evaluates its whole prompt, as the first request did.

    llama.cpp reuses a prompt prefix already in the context and evaluates only the
    rest, in other batch shapes whose rounding differs by a hair: enough to tip a near
    tie between two tokens. Tests that compare two generations start both fresh.
    """
    engine.backend._llm.reset()


def error_as_unprivileged_user(func, path: Path) -> str:
    """The message `func(path)` raises for user nobody (root can read any file)."""
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: drop root, try the file, report the message
        message = "no error"
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            func(path)
        except Exception as exc:
            message = str(exc)
        finally:
            os.write(write_end, message.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        message = f.read().decode()
    os.waitpid(pid, 0)
    return message


def answer_next_dialog(button) -> list[str]:
    """Click `button` (a standard button, or the text of one of the box's own) in the next
    modal message box, as a user would; the list returned gets the box's text once it was
    answered."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen: list[str] = []

    def click() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QMessageBox):
            seen.append(dialog.text())
            if isinstance(button, str):
                next(b for b in dialog.buttons() if b.text() == button).click()
            else:
                dialog.button(button).click()
        else:
            QTimer.singleShot(20, click)

    QTimer.singleShot(20, click)
    return seen


def drop_on(widget, mime, at=None) -> bool:
    """Drag `mime` over `widget` and drop it at `at` (default: the middle), through Qt's
    event delivery (which passes a drop the widget refuses on to its parents); True when
    someone took the drop."""
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    at = QPointF(at) if at is not None else QPointF(widget.width() / 2, widget.height() / 2)
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier)
    for kind in (QDragEnterEvent, QDragMoveEvent):
        event = kind(at.toPoint(), *args)  # Qt 6 takes a QPoint here, a QPointF below
        QApplication.sendEvent(widget, event)
        if not event.isAccepted():
            return False
    drop = QDropEvent(at, *args)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()
