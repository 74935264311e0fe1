"""The sync log: unexpected errors in syncing, with their tracebacks, in the data folder.

The app shows a one-line notice and keeps going; the traceback is kept here for whoever
looks into it. The log is capped (stdlib ``RotatingFileHandler``: 1 MiB, then two older
files) and private like the rest of the data folder (0600 in a 0700 folder). It is opened
only when there is something to write, and closed after: errors are rare, and a log that
outlives a test's or a session's data folder would write to the wrong place.
"""

import logging
import logging.handlers
import os
from pathlib import Path

from .. import config

MAX_BYTES = 1024 * 1024
BACKUPS = 2
_logger = logging.getLogger("studycircle_tui.sync")
_logger.propagate = False  # never the root logger: stderr would be drawn over the screen


def log_path() -> Path:
    return config.data_dir() / "sync.log"  # `studycircle locate` prints it too


def record(error: BaseException, context: str) -> Path | None:
    """Write ``error`` and its traceback to the log; the log's path, or None if the log
    itself cannot be written (a full or read-only disk: the notice still says what failed)."""
    path = log_path()
    try:
        config.private_dir(path.parent)
        _touch_private(path)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError:
        return None
    handler.rotator = _rotate_privately
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    _logger.addHandler(handler)
    try:
        _logger.error("%s", context, exc_info=error)
    finally:
        _logger.removeHandler(handler)
        handler.close()
    return path


def _touch_private(path: Path) -> None:
    # The handler opens an existing file as it is, so the file is made 0600 first.
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))


def _rotate_privately(source: str, dest: str) -> None:
    os.replace(source, dest)
    _touch_private(Path(source))
