"""Can Qt open a window here? Asked before QApplication, which aborts (a core dump) when not.

On Linux Qt draws through its xcb plugin, which needs X libraries a minimal system may
lack (libxcb-cursor0, libxcb-icccm4, ...). Qt's own answer is an abort with a hint in
the log; Writer names the missing libraries and their Debian/Ubuntu packages instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from writer_app.errors import WriterError

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$", re.MULTILINE)


def uses_xcb(env: Mapping[str, str]) -> bool:
    """Whether Qt will pick its xcb plugin (Linux, no other platform asked for)."""
    if not sys.platform.startswith("linux"):
        return False
    asked = env.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(";")[0].split(":")[0] == "xcb"
    # In a Wayland session Qt 6 tries its Wayland plugin first.
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland")


def xcb_plugin() -> Path:
    from PySide6.QtCore import QLibraryInfo

    plugins = QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)
    return Path(plugins) / "platforms" / "libqxcb.so"


def missing_libraries(library: Path) -> list[str]:
    """Shared libraries `library` needs that the dynamic linker cannot find (ldd)."""
    ldd = shutil.which("ldd")
    if ldd is None or not library.exists():
        return []
    try:
        out = subprocess.run([ldd, str(library)], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return sorted(set(_NOT_FOUND.findall(out)))


# Where Debian's name does not follow from the library's.
_PACKAGES = {"libglib-2.0": "libglib2.0-0", "libgobject-2.0": "libglib2.0-0",
             "libgthread-2.0": "libglib2.0-0", "libgio-2.0": "libglib2.0-0"}


def debian_package(soname: str) -> str:
    """Debian's package name for a library: libxcb-icccm.so.4 -> libxcb-icccm4."""
    name, _, version = soname.partition(".so.")
    if name in _PACKAGES:
        return _PACKAGES[name]
    major = version.split(".")[0]
    return f"{name}{'-' if name[-1:].isdigit() else ''}{major}".lower()


def qt_gui_modules() -> None:
    """Load QtGui and QtWidgets, or say in one line which library they could not find."""
    try:
        import PySide6.QtGui
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:
        soname = re.search(r"(\S+\.so[.\d]*): cannot open shared object file", str(exc))
        if soname is None:
            raise WriterError(f"Qt could not load: {exc}") from exc
        raise WriterError(f"the window needs {soname.group(1)}, which this system lacks; "
                          f"install it (Debian, Ubuntu: sudo apt install "
                          f"{debian_package(soname.group(1))}) or use the command line"
                          ) from exc


def display_problem(env: Mapping[str, str] | None = None,
                    plugin: Path | None = None) -> str | None:
    """One line saying why the window cannot open here, or None."""
    env = os.environ if env is None else env
    if not uses_xcb(env):
        return None
    missing = missing_libraries(plugin or xcb_plugin())
    if missing:
        packages = " ".join(dict.fromkeys(debian_package(m) for m in missing))
        return (f"the window needs X libraries this system lacks ({', '.join(missing)}); "
                f"install them (Debian, Ubuntu: sudo apt install {packages}) or use the "
                "command line")
    if not env.get("DISPLAY"):
        return ("there is no display to open the window on (DISPLAY is not set); start "
                "Writer from your desktop, or use the command line (writer-app --help)")
    return None
