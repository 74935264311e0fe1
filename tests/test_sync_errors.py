"""Nothing that goes wrong while syncing ends the sync loop (and so the app).

An unexpected error becomes a notice, its traceback goes to the sync log in the data
folder, and sync is tried again with backoff. The race that used to end apps: several
of them merging the same conflict copy at once (here at the same instant; running apps
meet it in the file-fault harness, tests/file_faults.py, whenever a copy appears).
"""

import asyncio
import multiprocessing
import stat

from circles import arrives_while_running, circle_ops, join_file_circle, new_file_circle
from file_faults import RaisingTransport, merge_at_once
from studycircle_tui import config
from studycircle_tui.core.ops import encode_op
from studycircle_tui.sync import synclog
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import create_circle_file, read_lines
from studycircle_tui.sync.synclog import record


def flaky_service(lead, failures):
    path = lead.transport.path
    return CircleService(lead.store, lead.record, RaisingTransport(path, failures), lead.now_ms)


def test_an_unexpected_error_is_reported_logged_and_sync_goes_on(tmp_path):
    lead = new_file_circle(tmp_path)
    channel = lead.submit("channel.create", {"name": "general"}).id
    asyncio.run(lead.sync_once())
    ayu = join_file_circle(tmp_path, "Ayu")
    service = flaky_service(lead, failures=2)
    statuses = []
    service.subscribe(statuses.append)

    def says_synced() -> bool:
        return bool(statuses) and getattr(statuses[-1], "state", None) == "synced"

    # Through two failures, and the loop says so once past them.
    assert asyncio.run(arrives_while_running(service, ayu, channel, then=says_synced))
    assert service.transport.pulls >= 3  # two failures, then retried until it worked
    failures = [n.text for n in service.notices if n.severity == "error"]
    assert len(failures) == 1  # the same failure twice is one notice
    assert "FileNotFoundError" in failures[0] and str(synclog.log_path()) in failures[0]
    log = synclog.log_path().read_text(encoding="utf-8")
    assert log.count("Traceback (most recent call last)") == 2
    assert "circle.sync-conflict-1.jsonl" in log and "file_faults.py" in log
    assert stat.S_IMODE(synclog.log_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(config.data_dir().stat().st_mode) == 0o700


def test_the_sync_log_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(synclog, "MAX_BYTES", 4_000)
    try:
        raise RuntimeError("x" * 1_000)
    except RuntimeError as error:
        for _ in range(30):
            record(error, "a long failure")
    logs = sorted(synclog.log_path().parent.glob("sync.log*"))
    assert [p.name for p in logs] == ["sync.log", "sync.log.1", "sync.log.2"]
    assert all(p.stat().st_size <= 4_000 for p in logs)
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in logs)


# --- the race -----------------------------------------------------------------------------


def test_three_apps_merging_the_same_conflict_copy_at_once(tmp_path):
    path = tmp_path / "club.jsonl"
    _, ops = circle_ops(60)
    create_circle_file(path, ops[:3])
    context = multiprocessing.get_context("spawn")
    barrier, errors = context.Barrier(4), context.Queue()
    rounds = 12
    apps = [
        context.Process(target=merge_at_once, args=(path, barrier, rounds, errors))
        for _ in range(3)
    ]
    for app in apps:
        app.start()
    try:
        for number in range(rounds):
            copy = tmp_path / f"club.sync-conflict-2026120{number % 10}-1010{number:02d}-X.jsonl"
            extra = ops[3 + 5 * number : 8 + 5 * number]
            copy.write_bytes(b"".join(encode_op(op) + b"\n" for op in [*ops[:3], *extra]))
            barrier.wait(60)  # all three find the copy...
            barrier.wait(60)  # ...and are done with it
            assert not copy.exists()
    except BaseException:
        barrier.abort()  # let the apps go rather than wait for a round that never comes
        raise
    finally:
        for app in apps:
            app.join(60)
    assert [app.exitcode for app in apps] == [0, 0, 0]
    assert errors.empty(), errors.get()
    ids = [op.id for op in read_lines(path).ops]
    assert len(ids) == len(set(ids)) == 3 + 5 * rounds  # merged once each, under the lock
