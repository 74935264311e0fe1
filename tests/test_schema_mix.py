"""One log holds ops of every schema version: v1, a note's patch (v2) and a newer
reaction (v3). Both were added on their own branches, each bumping the version; a
server and a file circle must take both, and every member fold the same from them."""

import asyncio

from catchup_helpers import member
from circles import join_file_circle, new_file_circle
from server_helpers import Site
from studycircle_tui.sync.engine import CircleService

TEXT = "".join(f"baris {index}\n" for index in range(200))


async def write_one_of_each(author: CircleService) -> tuple[str, str, str]:
    """A thread with a post a v3 reaction is given to, and a note revised by a patch (v2):
    the note's id, the post's and the revision's."""
    channel = author.submit("channel.create", {"name": "umum"}).id
    thread = author.submit(
        "thread.create", {"channel": channel, "title": "Sel", "kind": "question", "text": "?"}
    )
    post = author.submit("post.create", {"thread": thread.id, "text": "Mitokondria."})
    reacted = author.submit("post.react", {"post": post.id, "reaction": "question"})
    note = author.submit("note.create", {"title": "Catatan", "text": TEXT})
    await author.sync_once()
    revised = await author.revise_note(note.id, note.id, TEXT.replace("baris 7\n", "tujuh\n"))
    await author.sync_once()
    assert (reacted.v, revised.v) == (3, 2)
    return note.id, post.id, revised.id


def assert_read_alike(note: str, post: str, revision: str, *members: CircleService) -> None:
    for service in members:
        assert service.state.posts[post].reactions == {"question": {members[0].me}}
        assert service.state.notes[note].head == revision
        assert service.state.notes[note].text == TEXT.replace("baris 7\n", "tujuh\n")
    assert all(service.state.notes[note] == members[0].state.notes[note] for service in members)


async def test_a_server_takes_patches_and_newer_reactions_alike(tmp_path):
    site = await Site.start(tmp_path / "server")
    try:
        circle, code = await site.new_circle("Biologi")
        lea = await member(site, tmp_path, code, "Lea")
        await lea.sync_once()
        made = await write_one_of_each(lea)
        ana = await member(site, tmp_path, await site.invite(circle), "Ana")
        await ana.sync_once()
        assert_read_alike(*made, lea, ana)
    finally:
        await site.close()


def test_a_file_circle_takes_patches_and_newer_reactions_alike(tmp_path):
    # Not a coroutine: opening a file circle catches it up in an event loop of its own.
    lea = new_file_circle(tmp_path, "Biologi", "Lea")
    made = asyncio.run(write_one_of_each(lea))
    ana = join_file_circle(tmp_path, "Ana")
    assert_read_alike(*made, lea, ana)
