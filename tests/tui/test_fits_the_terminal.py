"""What the main screen says fits the terminal at 80 and 120 columns: the status line
gives way (the role, then the member's name, then the circle's name is shortened; the
sync state and the next session stay), and the welcome text wraps instead of being cut."""

import asyncio

from rich.cells import cell_len

from circles import fixed_demo_service
from studycircle_tui.tui.actions import key_for
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.thread_pane import KEY_HINTS, welcome_hint
from studycircle_tui.tui.widgets.status_line import fit_status
from studycircle_tui.tui.widgets.thread_view import ThreadView

SYNC = "local file · synced · 2 waiting to send"
NEXT = "next: Weekly session Wed 19:00"


def test_what_gives_way_first_is_the_role_then_the_name():
    whole = fit_status("Python Club", "Ayu", "lead", SYNC, [NEXT], 200)
    assert whole == f"Python Club · Ayu (lead) · {SYNC} · {NEXT}"
    assert fit_status("Python Club", "Ayu", "lead", SYNC, [NEXT], len(whole) - 1) == (
        f"Python Club · Ayu · {SYNC} · {NEXT}"
    )
    assert fit_status("Python Club", "Ayu", "lead", SYNC, [NEXT], 86) == (
        f"Python Club · {SYNC} · {NEXT}"
    )


def test_a_long_circle_name_is_shortened_and_the_sync_state_kept():
    name = "Kelompok Belajar Bahasa Inggris untuk TOEFL — Angkatan 2026 ☕"
    line = fit_status(name, "Ayu", "member", SYNC, [NEXT], 100)
    assert cell_len(line) <= 100
    assert line.endswith(f"… · {SYNC} · {NEXT}") and line.startswith("Kelompok Belajar")
    tiny = fit_status(name, "Ayu", "member", SYNC, [NEXT], 78)  # then the end is cut
    assert cell_len(tiny) == 78 and tiny.startswith("Kelompok Be… · local file")


def test_the_demo_status_line_is_whole_at_80_columns(tmp_path):
    service = fixed_demo_service(tmp_path)  # before the app's loop: it syncs in one of its own

    async def shown() -> tuple[str, int]:
        async with StudyCircleApp(service, sync=False).run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            line = pilot.app.screen.query_one("#status")
            return str(line.render()), line.content_region.width

    text, cells = asyncio.run(shown())
    assert cell_len(text) <= cells
    assert text.endswith(" · local file · synced · next: Weekly session Wed 19:00")


def welcome_lines(tmp_path, size: tuple[int, int], goal: str | None = None) -> list[str]:
    """The thread pane's welcome text as the member sees it (``goal``: a longer one)."""
    service = fixed_demo_service(tmp_path)

    async def shown() -> list[str]:
        async with StudyCircleApp(service, sync=False).run_test(size=size) as pilot:
            await pilot.pause()
            screen = pilot.app.screen
            view = screen.query_one(ThreadView)
            if goal is not None:
                named = {"back"} | {name for names in KEY_HINTS for name in names[::2]}
                keys = {name: key_for(screen, "screen", name) for name in named}
                view.hint = welcome_hint(service.state.name, goal, screen.palette, keys)
                await pilot.pause()
            lines = [view.render_line(y).text.rstrip() for y in range(view.size.height)]
            width = view.scrollable_content_region.width  # beside it: the scrollbar
            assert all(cell_len(line) <= width for line in lines), "under the scrollbar"
            return lines

    return asyncio.run(shown())


def test_the_welcome_keys_are_whole_at_120_columns(tmp_path):
    lines = welcome_lines(tmp_path, (120, 30))
    assert any(line.endswith("@ posts that mention you") for line in lines)
    assert any(line.endswith("/ search every post") for line in lines)


def test_a_long_goal_wraps_and_narrow_keys_go_one_a_line(tmp_path):
    goal = (
        "Belajar Python bersama: satu program kecil setiap minggu, "
        "dibahas di kafe dekat kampus ☕ setiap Rabu malam."
    )
    lines = welcome_lines(tmp_path, (120, 30), goal)
    words = " ".join(" ".join(lines).split())
    assert goal in words  # wrapped, nothing cut
    assert not any("…" in line for line in lines)
    assert "@ posts that mention you" in words
