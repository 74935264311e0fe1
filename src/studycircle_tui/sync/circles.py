"""Opening and creating circles: picks the transport for a circle and joins it if needed.

A member's key for a circle is made as they join it (or create it), and its public half
goes in their ``member.join`` (``circle.create``): the op that announces a key is signed
by it. A member of a circle from before signing gets one the first time this version
opens the circle (``CircleService.sign_from_now``).
"""

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..config import private_dir
from ..core.demo import demo_ops
from ..core.ids import ulid
from ..core.messages import Message
from ..core.ops import CircleCreate
from ..core.replica import Replica
from ..core.signing import SigningKey
from ..store.db import CircleRecord, Store
from .engine import CircleService, SharedCircle
from .file import CircleFileError, FileTransport, create_circle_file, read_lines
from .transport import Transport, TransportError

DEMO_STORY_MS = 3 * 24 * 3600 * 1000  # the demo's story starts three days ago


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _new_id() -> str:
    return ulid(_now_ms(), os.urandom(10))


def transport_for(record: CircleRecord) -> Transport:
    if record.transport == "file":
        return FileTransport(Path(record.location), record.id)
    from .http import HttpTransport  # only server circles pay for httpx's import

    return HttpTransport.for_record(record)


def _circle_create(path: Path) -> CircleCreate:
    """The op that created the circle in ``path``; CircleFileError if there is none."""
    if not path.exists():
        raise CircleFileError(Message("{path}: no such circle file", path=str(path)))
    if path.is_dir():
        raise CircleFileError(Message("{path}: is a folder, not a circle file", path=str(path)))
    for op in read_lines(path).ops:
        if isinstance(op, CircleCreate):
            return op
    raise CircleFileError(
        Message("{path}: not a circle file (no circle.create line in it)", path=str(path))
    )


def open_service(store: Store, record: CircleRecord, screen: bool = True) -> CircleService:
    """A service for a circle already in the store; a file circle caught up with its
    file. For the app (``screen``) a server circle is caught up by its sync loop, after
    the app is on screen: over a slow link, catching up first could take minutes of a
    blank terminal (sync/catchup.py shows a busy circle's newest threads while its
    history comes). A command with no screen catches up first, as a file circle does."""
    service = CircleService(store, record, transport_for(record))
    store.mark_opened(record.id, _now_ms())
    first = record.transport == "file" or not screen
    if first:
        _catch_up(service)
    if service.sign_from_now() is not None and first:
        _catch_up(service)  # the first key goes out now (the app's sync loop sends it)
    return service


def _catch_up(service: CircleService) -> None:
    """Sync once before the app opens. Offline is fine: the app opens on the local
    replica and the sync loop retries; anything else is reported and logged the same way
    the sync loop does, never a traceback instead of the circle."""
    try:
        asyncio.run(service.sync_once())
    except TransportError:
        pass
    except Exception as error:  # see CircleService.run
        service.report_failure(error)


def open_file_circle(store: Store, path: Path, display_name: str) -> CircleService:
    """Open a shared circle file, joining the circle as ``display_name`` the first time."""
    path = path.expanduser().resolve()
    created = _circle_create(path)
    record = store.circle(created.id)
    if record is None or record.transport != "file":
        record = CircleRecord(
            created.id, created.data.name, "file", str(path), _new_id(), _now_ms()
        )
        store.save_circle(record)
    elif record.location != str(path):
        # The same circle reached through a new path (the USB stick mounted elsewhere).
        record.location = str(path)
        store.save_circle(record)
    service = open_service(store, record)
    if service.state.role_of(service.me) is None and service.me not in service.state.members:
        key = service.keys.new(service.me)
        service.submit("member.join", {"name": display_name, "key": key.public}, key=key)
        _catch_up(service)  # the join waits in the outbox if the file is away
    return service


def open_shared_circle(store: Store, path: Path) -> SharedCircle:
    """A circle file served to many members at once, none of them the store's own (an
    ssh-serve worker's circle). Not yet synced: the caller awaits ``sync_once``."""
    path = path.expanduser().resolve()
    created = _circle_create(path)
    record = store.circle(created.id)
    if record is None or record.location != str(path):
        record = CircleRecord(created.id, created.data.name, "file", str(path), "", _now_ms())
        store.save_circle(record)
    return SharedCircle(store, record, FileTransport(path, record.id))


def create_file_circle(
    store: Store,
    path: Path,
    name: str,
    display_name: str,
    channels: Sequence[str] = ("general",),
) -> CircleService:
    """Start a new circle in a new file at ``path``, with this user as its lead, and
    ``channels`` opened by them: members start threads in a channel, so a circle starts
    with one (as a server's does)."""
    path = path.expanduser().resolve()
    if not path.parent.is_dir():
        raise CircleFileError(Message("{path}: no such folder", path=str(path.parent)))
    me = _new_id()
    key = SigningKey(os.urandom(32))
    # Born signed: nothing unsigned is ever taken in it (an app from before signing
    # cannot join it; its changes would be refused).
    data = {
        "name": name,
        "lead_name": display_name,
        "key": key.public,
        "signatures_required": True,
    }
    created = Replica("0" * 26).make(me, "circle.create", data, _now_ms(), os.urandom(10), key)
    replica = Replica(created.id)
    replica.add([created])
    ops = [created]
    for channel in dict.fromkeys(channels):
        op = replica.make(me, "channel.create", {"name": channel}, _now_ms(), os.urandom(10), key)
        replica.add_local(op)
        ops.append(op)
    create_circle_file(path, ops)
    store.save_key(created.id, me, key.public, key.seed, _now_ms())
    store.save_circle(CircleRecord(created.id, name, "file", str(path), me, _now_ms()))
    return open_file_circle(store, path, display_name)


def create_demo_circle(
    store: Store, path: Path, display_name: str, translate: Callable[[str], str] = str
) -> CircleService:
    """The first-run demo: a file circle with a few days of a group's life in it, in the
    language ``translate`` speaks (the front end's)."""
    me = _new_id()
    key = SigningKey(os.urandom(32))
    circle_id, ops = demo_ops(
        display_name, me, _now_ms() - DEMO_STORY_MS, lambda: os.urandom(10), key, translate
    )
    private_dir(path.parent)  # the data folder
    create_circle_file(path, ops, mode=0o600)
    store.save_key(circle_id, me, key.public, key.seed, _now_ms())
    name = _circle_create(path).data.name
    store.save_circle(CircleRecord(circle_id, name, "file", str(path.resolve()), me, _now_ms()))
    return open_file_circle(store, path, display_name)
