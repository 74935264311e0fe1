"""Driving the command palette as a member does: ctrl+p, type, wait for the entry, enter."""

from textual.command import CommandList


def first_offer(app) -> str:
    """The palette's first entry as it reads now ("" while nothing is listed)."""
    found = app.screen.query(CommandList)
    if not found or found.first().option_count == 0:
        return ""
    return str(found.first().get_option_at_index(0).prompt)


async def choose(pilot, typed: str, entry: str, tries: int = 200) -> None:
    """In the open palette, type ``typed`` and, once ``entry`` heads the list (the
    palette gathers its hits in its own time), choose it with enter."""
    await pilot.press(*typed)
    for _ in range(tries):
        if first_offer(pilot.app).startswith(entry):
            break
        await pilot.pause(0.02)
    assert first_offer(pilot.app).startswith(entry), first_offer(pilot.app)
    await pilot.press("enter")
    await pilot.pause()


async def pick_in_palette(pilot, typed: str, entry: str) -> None:
    """ctrl+p, then ``choose``."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await choose(pilot, typed, entry)
