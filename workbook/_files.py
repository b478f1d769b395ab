"""Writing output files safely: the one "temp file beside it, then rename" helper.

Every file the workbook package writes (the model, the Lite bundle, the threshold CSV,
a write-back into an existing model) goes through :func:`atomic_write`: the content is
written to a temporary file in the target's folder and moved into place with
``os.replace``, so a reader never sees half a file and a failure leaves the old one intact.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

EXISTS = "{path} already exists; pass --force to overwrite it"


def refuse_overwrite(paths: str | os.PathLike | Iterable[str | os.PathLike], *, force: bool,
                     message: str = EXISTS, error: type[Exception] = FileExistsError) -> None:
    """Raise ``error(message)`` (one line, ``{path}`` filled in) for the first of ``paths``
    that exists, unless ``force``."""
    if force:
        return
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for path in paths:
        if os.path.exists(path):
            raise error(message.format(path=os.fspath(path)))


def umask() -> int:
    """The process umask; read from /proc where possible (``os.umask`` sets it, for every
    thread, while it reads it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode a plain ``open(path, 'w')`` gives a new file: 0666 minus the umask."""
    return 0o666 & ~umask()


def atomic_write(
    path: str | os.PathLike,
    content: bytes | str | Callable[[str], Any],
    *,
    force: bool,
    mode: int | None = None,
    exists_message: str = EXISTS,
    exists_error: type[Exception] = FileExistsError,
    fsync: bool = False,
    before_replace: Callable[[str], Any] | None = None,
    temp_error: str | None = None,
    replace_error: str | None = None,
) -> Any:
    """Write ``path`` through a temporary file in its folder, then ``os.replace`` it.

    ``content``: bytes, text (UTF-8, ``\\n`` line ends), or a function given the temporary
    file's path (the file exists, empty) that writes it; the function's result is returned.
    Refuses an existing ``path`` unless ``force`` (see :func:`refuse_overwrite`; the
    message and error class can be the caller's). ``mode``: the file's permissions; None
    keeps those of an existing ``path``, else gives what ``open()`` would (mkstemp alone
    makes the file private). ``fsync`` flushes the data to disk before the rename;
    ``before_replace(tmp)`` runs last, e.g. to verify the file or back up the old one.
    ``temp_error`` / ``replace_error``: one-line ``PermissionError`` messages (``{dir}``,
    ``{path}``, ``{name}``, ``{reason}`` filled in) for a folder where no temporary file can
    be created and for a target that cannot be replaced (locked); None lets the
    ``OSError`` through. The folder is created when missing; the temporary file never
    outlives the call (it is removed on every error, Ctrl+C and SIGTERM included, once
    :func:`exit_on_sigterm` is installed).

    Without ``force`` the target is created exclusively (a hard link of the finished
    temporary file, which fails when the name exists): of two writers racing for one new
    path exactly one wins and the other gets ``exists_error``, never a silent overwrite.
    """
    path = os.fspath(path)
    refuse_overwrite(path, force=force, message=exists_message, error=exists_error)
    directory = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    os.makedirs(directory, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    except OSError as err:
        if temp_error is None:
            raise
        raise PermissionError(temp_error.format(
            dir=directory, path=path, name=name, reason=err.strerror)) from None
    try:  # from here on, every way out removes the temporary file (SIGTERM included)
        os.close(fd)
        if isinstance(content, bytes):
            with open(tmp, "wb") as f:
                f.write(content)
            result = None
        elif isinstance(content, str):
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                f.write(content)
            result = None
        else:
            result = content(tmp)
        if fsync:
            fd = os.open(tmp, os.O_RDWR)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        if mode is None:
            mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else new_file_mode()
        os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace(tmp)
        try:
            if force:
                os.replace(tmp, path)
            else:
                _create_exclusive(tmp, path, exists_message, exists_error)
        except PermissionError as err:
            if replace_error is None:
                raise
            raise PermissionError(replace_error.format(
                dir=directory, path=path, name=name, reason=err.strerror)) from None
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return result


def _create_exclusive(tmp: str, path: str, message: str, error: type[Exception]) -> None:
    """Give the finished ``tmp`` the name ``path`` only if no file has that name."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise error(message.format(path=path)) from None
    except OSError:  # no hard links here (some network or FAT drives): claim the name first
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise error(message.format(path=path)) from None
        os.close(fd)
        os.replace(tmp, path)
        return
    os.remove(tmp)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit`` so that cleanup (temporary files, locks) runs."""
    import signal

    def _stop(signum, frame):  # noqa: ARG001
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, _stop)
    except (ValueError, OSError):  # not the main thread
        pass
