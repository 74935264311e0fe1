"""A file circle hears of another writer's lines from the OS, and looks for itself where
the OS says nothing: a network share, a watch the OS refuses, notifications that never
come. Each test follows one path and asserts on the path taken, not on time."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from circles import join_file_circle, new_file_circle, until
from studycircle_tui.sync import filewatch
from studycircle_tui.sync.filewatch import FileWatch, file_system_type

WRITER = """
import asyncio, sys
sys.path.insert(0, {tests!r})
from circles import join_file_circle
from pathlib import Path
ayu = join_file_circle(Path({folder!r}), "Ayu")
channel = next(iter(ayu.state.channels))
data = {{"channel": channel, "title": sys.argv[1], "kind": "discussion", "text": "hi"}}
ayu.submit("thread.create", data)
asyncio.run(ayu.sync_once())
"""


def write_from_another_process(folder: Path, title: str) -> None:
    """Another member's app, in a process of its own, appends a thread to the file."""
    tests = str(Path(__file__).parent)
    script = WRITER.format(tests=tests, folder=str(folder))
    subprocess.run([sys.executable, "-c", script, title], check=True, timeout=60)


def titles(service) -> set[str]:
    """The titles of the circle's threads, as this member's replica has them."""
    return {thread.title for thread in service.state.threads.values()}


@pytest.fixture
def lead(tmp_path):
    service = new_file_circle(tmp_path)
    service.submit("channel.create", {"name": "general"})
    asyncio.run(service.sync_once())
    join_file_circle(tmp_path, "Ayu")  # Ayu's store, so the writer process is quick
    return service


async def test_another_processs_line_arrives_by_notification_not_by_a_poll(lead, tmp_path):
    watch = lead.transport.watch
    watch.CHECK_SECONDS = 3600  # no look by time: only a notification can bring it
    runner = asyncio.ensure_future(lead.run())
    try:
        await asyncio.to_thread(write_from_another_process, tmp_path, "first")  # control
        assert await until(lambda: "first" in titles(lead)), titles(lead)
        heard = watch.heard
        await asyncio.to_thread(write_from_another_process, tmp_path, "second")
        assert await until(lambda: "second" in titles(lead)), titles(lead)
        assert watch.heard > heard
        assert (watch.mode, watch.polls) == ("notify", 0)
    finally:
        runner.cancel()
        await lead.transport.close()


def refuse_the_watch(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr("watchfiles.awatch", refuse)
    return "inotify watch limit reached"


def no_watcher(monkeypatch):
    monkeypatch.setitem(sys.modules, "watchfiles", None)  # its import raises ImportError
    return "watchfiles"


@pytest.mark.parametrize("cannot_watch", [refuse_the_watch, no_watcher])
async def test_where_there_is_no_watch_the_file_is_polled(
    lead, tmp_path, monkeypatch, cannot_watch
):
    """The OS refuses the watch (its limit reached), or the watcher cannot load."""
    why = cannot_watch(monkeypatch)
    runner = asyncio.ensure_future(lead.run())
    try:
        await asyncio.to_thread(write_from_another_process, tmp_path, "polled")
        assert await until(lambda: "polled" in titles(lead)), titles(lead)
        watch = lead.transport.watch
        assert watch.mode == "poll" and watch.polls >= 1
        assert why in watch.reason
    finally:
        runner.cancel()


async def test_a_share_that_never_notifies_is_found_out_and_polled(lead, tmp_path, monkeypatch):
    async def silent(*args, **kwargs):  # an NFS mount: the OS reports nothing, ever
        while True:
            await asyncio.sleep(0.05)
            yield set()  # watchfiles' "timed out, nothing heard"

    monkeypatch.setattr("watchfiles.awatch", silent)
    runner = asyncio.ensure_future(lead.run())
    try:
        await asyncio.to_thread(write_from_another_process, tmp_path, "unheard")
        assert await until(lambda: "unheard" in titles(lead)), titles(lead)
        watch = lead.transport.watch
        assert watch.mode == "poll"
        assert "no notification came" in watch.reason
        assert watch.heard == 0
    finally:
        runner.cancel()


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:35 / /srv/club rw,relatime shared:2 - nfs4 fileserver:/club rw,vers=4.2
41 40 0:36 / /srv/club/local\\040disk rw shared:3 - ext4 /dev/sdb1 rw
"""


@pytest.mark.parametrize(
    ("folder", "kind"),
    [
        ("/home/ayu/circles", "ext4"),
        ("/srv/club", "nfs4"),
        ("/srv/club/quiz", "nfs4"),
        ("/srv/club/local disk/x", "ext4"),  # the mount inside the share wins
        ("/srv/clubhouse", "ext4"),  # a name that only starts like the share
    ],
)
def test_the_file_system_of_a_folder_is_read_from_mountinfo(folder, kind):
    assert file_system_type(Path(folder), MOUNTINFO) == kind


def test_a_circle_on_a_network_share_is_polled_from_the_start(tmp_path, monkeypatch):
    info = tmp_path / "mountinfo"
    info.write_text(
        f"22 1 8:1 / / rw - ext4 /dev/sda1 rw\n40 22 0:35 / {tmp_path} rw - cifs //nas/c rw\n"
    )
    monkeypatch.setattr(filewatch, "_MOUNTINFO", info)
    watch = FileWatch(tmp_path / "circle.jsonl")
    assert watch.mode == "poll" and "network share (cifs)" in watch.reason
    local = FileWatch(Path(__file__))
    assert local.mode == "notify"


async def test_a_write_just_before_a_check_is_heard_not_taken_for_a_silent_share(
    tmp_path, monkeypatch
):
    """A busy local file (a room answering a quiz): a line is appended just as a check
    comes, and the OS reports it a step later. That is a notification late, not a share
    that never notifies: the watcher goes on listening (polling would add its wait to
    every line from then on)."""
    path = tmp_path / "club.jsonl"
    path.write_text("first\n")
    checked = asyncio.Event()

    async def racing(*args, **kwargs):
        with path.open("a") as file:
            file.write("second\n")
        yield set()  # the check: the file changed, nothing heard yet
        yield {(2, str(path))}  # the OS's report of that write
        yield set()  # the next check: nothing new
        checked.set()
        await asyncio.Event().wait()  # until closed
        yield set()

    monkeypatch.setattr("watchfiles.awatch", racing)
    watch = FileWatch(path, notifications=True)
    await watch.changed()  # starts the watch (and returns at once: read once more)
    try:
        assert await until(lambda: checked.is_set() or watch.mode == "poll")
        assert (watch.mode, watch.heard) == ("notify", 1), watch.reason
    finally:
        await watch.close()
