"""Hearing that a circle file changed: from the OS where it tells, by looking where not.

On a local disk (and a synced folder, whose sync tool writes locally) the OS reports
every write to the file the moment it happens: inotify on Linux, FSEvents on macOS,
ReadDirectoryChangesW on Windows, all through watchfiles. The sync loop waits on that
instead of re-reading the file on a timer, so another member's post shows within a few
tens of milliseconds and an idle app reads nothing.

A network share (NFS, SMB/CIFS, sshfs, a VM's shared folder) does not report what other
machines write. There the watcher looks at the file every ``POLL_SECONDS`` instead, as
the app always did before. Which of the two applies is found three ways:

1. the folder is on a known network file system (Linux: /proc/self/mountinfo): poll;
2. the OS would not set up the watch (no inotify, its limit reached, the folder gone):
   poll;
3. a notification that never came: while notifications are on, the file's identity,
   size and time are also checked every ``CHECK_SECONDS``; if they changed and the OS
   said nothing, not at that check nor by the next, this share does not notify, and the
   watcher polls from then on. (A write just before a check is reported a step after
   it: one check alone took a busy local file for a silent share.)

The folder is watched rather than the file, so a file replaced by a sync tool (written
elsewhere, renamed over ours) and the conflict copies left beside it are heard too.
"""

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from .tasks import cancelled

NETWORK_FILE_SYSTEMS = frozenset(
    {
        *("nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "9p", "afs", "ceph"),
        *("glusterfs", "lustre", "gpfs", "davfs", "drvfs", "vboxsf", "prl_fs", "vmhgfs"),
        *("fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.davfs2"),
        *("fuse.glusterfs", "fuse.vmhgfs-fuse", "fuse.smbnetfs"),
    }
)
_MOUNTINFO = Path("/proc/self/mountinfo")


def file_system_type(folder: Path, mountinfo: str | None = None) -> str | None:
    """The type of the file system ``folder`` is on ("ext4", "nfs4", …), as Linux's
    mountinfo says; None where there is no mountinfo to read (macOS, Windows)."""
    if mountinfo is None:
        try:
            mountinfo = _MOUNTINFO.read_text()
        except OSError:
            return None
    target = str(folder)
    best, best_type = "", None
    for line in mountinfo.splitlines():
        fields, _, rest = line.partition(" - ")
        parts = fields.split()
        if len(parts) < 5 or not rest:
            continue
        point = parts[4].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, rest.split()[0]
    return best_type


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


class FileWatch:
    """Tells the sync loop when a circle file (or a copy beside it) may have changed."""

    POLL_SECONDS = 0.3  # where the OS does not say: others' posts show within a second
    CHECK_SECONDS = 2.0  # with notifications on, how often to check they really come
    # watchfiles' watcher wakes every step to collect what the OS reported: 20 ms costs
    # an idle app about what polling every 0.3 s did (2.4 ms of CPU a second, measured),
    # and hears a write 20-40 ms after it.
    STEP_MS = 20

    def __init__(self, path: Path, *, notifications: bool | None = None) -> None:
        self.path = path
        self.mode = "notify"  # "notify" | "poll"
        self.reason = ""  # why it polls
        self.heard = 0  # notifications that woke the sync loop
        self.polls = 0  # looks at the file without one
        self._news = asyncio.Event()
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        if notifications is False:
            self._poll_from_now("notifications turned off")
        elif notifications is None:
            kind = file_system_type(path.parent.resolve())
            if kind in NETWORK_FILE_SYSTEMS:
                self._poll_from_now(f"{path.parent} is on a network share ({kind})")

    async def changed(self) -> None:
        """Return when the file may have changed: at the OS's word, or after a poll's wait."""
        if self.mode == "notify" and self._task is None:
            self._start()
        if self.mode == "poll":
            await asyncio.sleep(self.POLL_SECONDS)
            self.polls += 1
            return
        await self._news.wait()
        self._news.clear()

    async def close(self) -> None:
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            await cancelled({self._task})
            self._task = None

    # --- the watch --------------------------------------------------------------------

    def _start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self._watch(self._ours()))
        # Anything written before the watch was set up was not heard: read once more.
        self._news.set()

    def _ours(self) -> Callable[[object, str], bool]:
        name, stem, suffix = self.path.name, self.path.stem, self.path.suffix

        def ours(_change: object, changed: str) -> bool:
            base = os.path.basename(changed)
            if base == name:
                return True
            copy = base.startswith(f"{stem}.sync-conflict-") or base.startswith(f"{stem} (")
            return copy and base.endswith(suffix)

        return ours

    async def _watch(self, ours: Callable[[object, str], bool]) -> None:
        seen = _identity(self.path)
        # The file had changed, unheard, at the last check: silent if still so at the next.
        unheard = False
        try:
            # Imported here (only file circles load the watcher) and inside the try: a
            # watcher that cannot load polls, rather than its task dying unheard.
            from watchfiles import awatch

            async for changes in awatch(
                self.path.parent,
                watch_filter=ours,
                debounce=200,
                step=self.STEP_MS,
                rust_timeout=int(self.CHECK_SECONDS * 1000),
                yield_on_timeout=True,
                recursive=False,
                stop_event=self._stop,
            ):
                now = _identity(self.path)
                if changes:
                    self.heard += 1
                    seen, unheard = now, False
                    self._news.set()
                elif now != seen and unheard:
                    self._poll_from_now("the file changed and no notification came")
                    return
                else:
                    unheard = now != seen
        except asyncio.CancelledError:
            raise
        except Exception as error:  # no watcher, the OS refused the watch, the folder went
            self._poll_from_now(f"cannot watch {self.path.parent}: {error}")

    def _poll_from_now(self, reason: str) -> None:
        self.mode, self.reason = "poll", reason
        self._news.set()  # whoever waits on a notification looks at the file now
