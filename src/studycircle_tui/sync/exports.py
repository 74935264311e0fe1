"""Writing an export (a quiz's results as CSV, the schedule as .ics) to a file that the
person at this machine chose.

Only ever called for a local session. A session served over SSH or the web shows the
export on screen and offers it for copying instead (tui/screens/export.py): there a typed
path names a file of the host's account, not the player's.

An export never replaces a file without asking: ``write_new`` refuses when the file exists
(with O_EXCL, so also a file that appears between the question and the write), and
``replace`` is called only after the person said yes. ``replace`` writes a temporary file
beside the old one and renames it over, so a failed write leaves the old file whole.

Where it goes unless the person says otherwise: ``default_folder()``, their Downloads
folder (as their desktop names it), else their home; never the folder the app happened to
be started from, where nobody looks for it. A name typed without a folder lands there too
when the caller passes that folder to ``target``.
"""

import contextlib
import os
import tempfile
from pathlib import Path

import platformdirs


def default_folder() -> Path:
    """The Downloads folder (XDG_DOWNLOAD_DIR of user-dirs.dirs on Linux, as platformdirs
    reads it) when there is one, else the home folder."""
    downloads = Path(platformdirs.user_downloads_dir()).expanduser()
    return downloads if downloads.is_dir() else Path.home()


def target(path: Path, default_name: str, folder: Path | None = None) -> Path:
    """Where ``path`` (as typed) puts the export: a folder gets ``default_name`` in it;
    a relative path is taken from ``folder`` (``default_folder()``, say) when given."""
    path = path.expanduser()
    if folder is not None and not path.is_absolute():
        path = folder / path
    return path / default_name if path.is_dir() else path


def write_new(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new file; FileExistsError if there is one (left untouched)."""
    with path.open("xb") as handle:
        handle.write(data)
    return path


def replace(path: Path, data: bytes) -> Path:
    """Write ``data`` over the file at ``path`` (the person agreed), keeping its mode."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path
