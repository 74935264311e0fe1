"""Checkboxes and radio buttons show their mark only when on (tui/widgets/toggles.py):
readable without colour, as on a monochrome terminal."""

from textual.app import App, ComposeResult
from textual.widgets import RadioSet

from studycircle_tui.tui.widgets.toggles import Choice, Tick


class Toggles(App[None]):
    def compose(self) -> ComposeResult:
        yield Tick("Anonymous", id="tick")
        with RadioSet():
            yield Choice("Accuracy", value=True, id="accuracy")
            yield Choice("Speed", id="speed")


def _mark(widget) -> str:
    return str(widget.render())[1]  # "▐X▌ label": the character between the halves


async def test_the_mark_shows_only_when_on():
    app = Toggles()
    async with app.run_test() as pilot:
        tick, accuracy, speed = (app.query_one(f"#{n}") for n in ("tick", "accuracy", "speed"))
        assert (_mark(tick), _mark(accuracy), _mark(speed)) == (" ", "●", " ")
        tick.toggle()
        speed.value = True
        await pilot.pause()
        assert (_mark(tick), _mark(accuracy), _mark(speed)) == ("X", " ", "●")
