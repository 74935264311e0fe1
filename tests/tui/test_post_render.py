"""One line of a post, as quotes and search results show it (tui/widgets/post_render.py)."""

import pytest

from studycircle_tui.tui.widgets.post_render import plain_line


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "Kita bisa mulai dari *list* dan `dict` dulu.",
            "Kita bisa mulai dari list dan dict dulu.",
        ),
        ("**Penting:** baca _dulu_ bab 2", "Penting: baca dulu bab 2"),
        ("```python\nprint(7 // 2)\n```", "print(7 // 2)"),
        ("2 * 3 = 6, and my_var stays", "2 * 3 = 6, and my_var stays"),  # not marks
        ("* satu\n* dua", "* satu * dua"),  # list bullets stay readable
    ],
)
def test_a_line_of_a_post_leaves_out_its_markdown_marks(text, shown):
    assert plain_line(text) == shown


def test_a_long_line_is_cut_with_an_ellipsis():
    assert plain_line("Café " * 40, 20) == "Café Café Café Café…"
