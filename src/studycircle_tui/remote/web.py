"""``studycircle web``: the app in a browser, through textual-serve, fully offline.

textual-serve starts one app process per browser tab and talks to it over a websocket.
Its page links a Google Fonts stylesheet; ours (``templates/app_index.html``) is the same
page with that link replaced by the Roboto Mono files textual-serve ships in its own
static folder, so the browser fetches nothing from outside this machine.
"""

import shlex
import sys
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"


def app_command(app_args: list[str]) -> str:
    """The shell command textual-serve runs for each browser tab (``--served-over web``:
    the person in the browser never makes the app write this machine's files)."""
    words = [sys.executable, "-m", "studycircle_tui.cli", "--served-over", "web", *app_args]
    return " ".join(shlex.quote(word) for word in words)


def make_server(host: str, port: int, app_args: list[str], public_url: str | None = None):
    from textual_serve.server import Server

    return Server(
        app_command(app_args),
        host=host,
        port=port,
        title="studycircle",
        public_url=public_url,
        templates_path=TEMPLATES,
    )
