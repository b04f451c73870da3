"""The checks every file a user hands us goes through before anything parses it, and the
one way Writer writes a file (settings, the user's text, autosaves)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

# Flags for files we open: no leaking into child processes, no newline mangling on Windows.
_OPEN_FLAGS = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
# Extended attributes that cannot be copied for a reason no save should fail over: the
# filesystem has none, or only root may set them (security.*, trusted.*).
_XATTR_SKIPPED = {errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM, errno.EACCES, errno.ENODATA}
_CHUNK = 1 << 20


def write_atomically(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Write `text` (in `encoding`: UTF-8 unless the file came in another) so that a crash
    never leaves half a file, and the file stays the user's file: its mode, owner, group
    and extended attributes kept; a symlink stays a link and its target gets the text;
    every name of a hard-linked file sees the text.

    Usually a temporary file in the same folder, flushed, then renamed over the file (as
    QSaveFile does) and the folder flushed. A hard-linked file is written in place, as GIO
    does, with a backup of the old text beside it until the write is on disk.

    Raises OSError, or UnicodeEncodeError for a text the encoding cannot hold (a lone
    surrogate, a letter its code page lacks): that before anything on disk changes.
    """
    data = text.encode(encoding)
    target = _final_target(path)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
        # A rename would give this name a new inode and leave the other names behind.
        _write_in_place(target, data)
    else:
        _write_and_rename(target, data, st)


def _final_target(path: Path) -> Path:
    """The file the text belongs in: `path`, or the file its chain of symlinks ends at."""
    if not os.path.islink(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
    target = Path(os.path.realpath(path))
    if os.path.islink(target):  # realpath stops at a loop without saying so
        raise OSError(errno.ELOOP, f"the link {path} leads round in a loop")
    if not target.parent.is_dir():
        raise FileNotFoundError(
            errno.ENOENT, f"the link {path} points to {target}, whose folder does not exist")
    return target


def _short(name: str) -> str:
    """`name` cut so that a prefix and suffix around it stay within 255 bytes (NAME_MAX)."""
    return name.encode("utf-8", "surrogateescape")[:200].decode("utf-8", "ignore")


def _create_beside(target: Path, suffix: str, mode: int) -> tuple[int, Path]:
    """A new file in `target`'s folder, hidden, named after it; (fd, path)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS  # a backup is read back
    for _ in range(100):
        candidate = target.with_name(f".{_short(target.name)}.{secrets.token_hex(4)}{suffix}")
        try:
            return os.open(candidate, flags, mode), candidate
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free name for a file beside {target}")


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_folder(folder: Path) -> None:
    """Make a rename or a new name in `folder` survive a power cut (where the OS can)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _OPEN_FLAGS)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _copy_owner_and_mode(fd: int, temp: Path, source: Path, st: os.stat_result) -> None:
    """Give the temporary file `source`'s owner, group, extended attributes and mode. The
    owner first: a chown clears the set-user-ID and set-group-ID bits."""
    if hasattr(os, "fchown"):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:
            # A user may still give it the group, when they are a member of it.
            with contextlib.suppress(PermissionError):
                os.fchown(fd, -1, st.st_gid)
    if hasattr(os, "listxattr"):
        try:
            names = os.listxattr(source)
        except OSError as exc:
            if exc.errno not in _XATTR_SKIPPED:
                raise
            names = []
        for name in names:
            try:
                os.setxattr(fd, name, os.getxattr(source, name))
            except OSError as exc:
                if exc.errno not in _XATTR_SKIPPED:
                    raise
    mode = stat.S_IMODE(st.st_mode)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:
        os.chmod(temp, mode)


def _write_and_rename(target: Path, data: bytes, st: os.stat_result | None) -> None:
    # A new file gets 0666 less the umask (and the folder's default ACL), as from any
    # editor; a file that exists gets its own mode back before the rename.
    fd, temp = _create_beside(target, ".tmp", 0o666 if st is None else 0o600)
    try:
        try:
            if st is not None:
                _copy_owner_and_mode(fd, temp, target, st)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def _copy_fd(source: int, dest: int) -> None:
    """All of `source` over `dest`, from the start; `dest` cut to that length, and synced."""
    os.lseek(source, 0, os.SEEK_SET)
    os.lseek(dest, 0, os.SEEK_SET)
    size = 0
    while chunk := os.read(source, _CHUNK):
        _write_all(dest, chunk)
        size += len(chunk)
    os.ftruncate(dest, size)
    os.fsync(dest)


def _write_in_place(target: Path, data: bytes) -> None:
    """Overwrite the file itself (its inode), keeping the old text in a backup beside it
    until the new one is on disk; a write that fails midway puts the old text back."""
    fd = os.open(target, os.O_RDWR | _OPEN_FLAGS)  # first: may we write it at all?
    try:
        backup_fd, backup = _create_beside(target, ".writer-backup", 0o600)
        try:
            try:
                _copy_fd(fd, backup_fd)
            except BaseException:
                backup.unlink(missing_ok=True)
                raise
            _fsync_folder(target.parent)  # the backup's name survives a power cut too
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                _write_all(fd, data)
                os.ftruncate(fd, len(data))
                os.fsync(fd)
            except BaseException as failure:
                _restore(fd, backup_fd, target, backup, failure)
                backup.unlink()
                raise
        finally:
            os.close(backup_fd)
        backup.unlink()
    finally:
        os.close(fd)


def _restore(fd: int, backup_fd: int, target: Path, backup: Path,
             failure: BaseException) -> None:
    """Put the old text back after `failure`; when that fails too, keep the backup and
    say where it is."""
    try:
        _copy_fd(backup_fd, fd)
    except OSError as exc:
        code = failure.errno if isinstance(failure, OSError) else exc.errno
        raise OSError(code, f"{target} could not be written ({failure}) nor put back as it "
                            f"was ({exc}); its old text is kept in {backup}") from failure


def regular_file_problem(path: Path, what: str) -> tuple[str | None, int]:
    """(reason the file cannot be used, or None; its size). `what` names the expected kind."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "no such file", 0
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}", 0
    if stat.S_ISDIR(st.st_mode):
        return f"is a folder, not {what}", 0
    if not stat.S_ISREG(st.st_mode):
        # A pipe or device would block the reader, or never end.
        return "is not a regular file", 0
    if st.st_size == 0:
        return "is empty (0 bytes)", 0
    return None, st.st_size
