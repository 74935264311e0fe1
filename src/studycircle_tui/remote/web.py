"""``studycircle web``: the app in a browser, through textual-serve, fully offline.

textual-serve starts one app process per browser tab and talks to it over a websocket.
Its page links a Google Fonts stylesheet; ours (``templates/app_index.html``) is the same
page with that link replaced by the Roboto Mono files textual-serve ships in its own
static folder, so the browser fetches nothing from outside this machine.

Where the page finds its script and its websocket: textual-serve writes one fixed
address into every page, ``--public-url`` or else ``http://HOST:PORT`` of the address it
listens on. Listening on every address (``--host 0.0.0.0``) that gives
``http://0.0.0.0:8000``, which no other machine can reach. So unless ``--public-url``
names one (a reverse proxy's ``https://…``), each page is given the address its browser
came in on: the request's own scheme and Host header, as the browser sent them.
"""

import shlex
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TEMPLATES = Path(__file__).parent / "templates"
_EVERY_ADDRESS = ("0.0.0.0", "::", "")


def app_command(app_args: list[str]) -> str:
    """The shell command textual-serve runs for each browser tab (``--served-over web``:
    the person in the browser never makes the app write this machine's files)."""
    words = [sys.executable, "-m", "studycircle_tui.cli", "--served-over", "web", *app_args]
    return " ".join(shlex.quote(word) for word in words)


def public_url_problem(url: str) -> str | None:
    """Why ``--public-url`` cannot be where browsers reach the server, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"--public-url must be an address like https://quiz.example.org, not {url!r}"
    if parts.query or parts.fragment:
        return f"--public-url is where the server is, with no ?query or #part: {url!r}"
    return None


def addresses_to_show(host: str, port: int) -> list[str]:
    """What to tell the host to open in a browser, or to give others."""
    if host not in _EVERY_ADDRESS:
        shown = f"[{host}]" if ":" in host else host
        return [f"http://{shown}:{port}"]
    return [f"http://localhost:{port}", f"http://{socket.gethostname()}:{port}"]


def make_server(host: str, port: int, app_args: list[str], public_url: str | None = None):
    import aiohttp_jinja2
    from aiohttp import web
    from textual_serve.server import Server

    class WebServer(Server):
        """textual-serve's server, with each page pointed back where its browser is."""

        @aiohttp_jinja2.template("app_index.html")
        async def handle_index(self, request) -> dict[str, Any]:
            try:
                base = (public_url or str(request.url.origin())).rstrip("/")
            except ValueError:  # a Host header that is no address
                raise web.HTTPBadRequest(text="the Host header names no address") from None
            router = request.app.router
            static = f"{base}{router['static'].url_for(filename='/')}".rstrip("/") + "/"
            scheme = "wss" if base.startswith("https:") else "ws"
            websocket = f"{scheme}{base[base.index(':') :]}{router['websocket'].url_for()}"
            size = request.query.get("fontsize", "16")
            return {
                "font_size": int(size) if size.isdigit() else 16,
                "app_websocket_url": websocket,
                "config": {"static": {"url": static}},
                "application": {"name": self.title},
            }

        async def on_startup(self, app) -> None:
            shown = [public_url] if public_url else addresses_to_show(host, port)
            listening = "every address of this machine" if host in _EVERY_ADDRESS else host
            print(
                f"studycircle web: serving on {listening}, port {port}; open "
                f"{' or '.join(shown)} in a browser (ctrl+c stops it)",
                file=sys.stderr,
                flush=True,
            )

    return WebServer(
        app_command(app_args),
        host=host,
        port=port,
        title="studycircle",
        public_url=public_url,
        templates_path=TEMPLATES,
    )
