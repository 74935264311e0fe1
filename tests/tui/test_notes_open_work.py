"""Opening the notes pane does no work twice: no stylesheet parsed again, no screen
restyled because a class was set after its widgets mounted, no restyle per footer key;
and the circle, folded before the app starts, is out of the collector's sight from the
start. Each was measured on a 1 MB note (bench/notes.py); here is what each does."""

import gc

from note_helpers import demo_with_ayu, make_app


def test_the_app_puts_the_folded_circle_out_of_the_collector_s_sight(tmp_path, monkeypatch):
    rina, _, _ = demo_with_ayu(tmp_path, monkeypatch)
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    try:
        notes = rina.state.notes
        assert any(thing is notes for thing in gc.get_objects())
        make_app(rina)
        assert gc.get_threshold() == (5_000, 10, 1_000)
        assert not any(thing is notes for thing in gc.get_objects())  # frozen: not scanned
    finally:
        gc.unfreeze()
