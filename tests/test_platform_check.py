"""Before the window opens: a clear line instead of Qt's abort when it cannot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.ui.platform_check import (
    debian_package,
    display_problem,
    missing_libraries,
    uses_xcb,
    xcb_plugin,
)


@pytest.fixture
def plugin_missing_a_library(tmp_path: Path) -> Path:
    """A real shared library that links to one that is not on this system."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the test library")
    (tmp_path / "a.c").write_text("int writer_absent(void) { return 1; }\n")
    (tmp_path / "b.c").write_text("int writer_absent(void);\n"
                                  "int plugin(void) { return writer_absent(); }\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libwriter-absent.so"),
                    "-Wl,-soname,libwriter-absent.so.3", str(tmp_path / "a.c")], check=True)
    plugin = tmp_path / "libqfake.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(plugin), str(tmp_path / "b.c"),
                    f"-L{tmp_path}", "-lwriter-absent"], check=True)
    (tmp_path / "libwriter-absent.so").unlink()
    return plugin


def test_a_missing_library_is_named_with_its_package(plugin_missing_a_library):
    assert missing_libraries(plugin_missing_a_library) == ["libwriter-absent.so.3"]
    env = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}
    problem = display_problem(env, plugin_missing_a_library)
    assert problem == ("the window needs X libraries this system lacks "
                       "(libwriter-absent.so.3); install them (Debian, Ubuntu: sudo apt "
                       "install libwriter-absent3) or use the command line")


def test_debian_package_names():
    assert debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"


def test_no_display_is_said_plainly():
    offscreen = xcb_plugin().parent / "libqoffscreen.so"  # its libraries are all here
    assert missing_libraries(offscreen) == []
    problem = display_problem({"QT_QPA_PLATFORM": "xcb"}, offscreen)
    assert problem is not None and "DISPLAY is not set" in problem
    assert display_problem({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0"}, offscreen) is None


def test_other_platforms_are_left_to_qt():
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"})
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb:foo"}) and uses_xcb({"DISPLAY": ":0"})
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_the_window_names_what_this_system_lacks(tmp_path):
    missing = missing_libraries(xcb_plugin())
    if not missing:
        pytest.skip("this system has every X library Qt's xcb plugin needs")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": ":99"}
    proc = subprocess.run([sys.executable, "-m", "writer_app"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("writer-app: error: the window needs X libraries")
    for soname in missing:
        assert soname in lines[0] and debian_package(soname) in lines[0]
