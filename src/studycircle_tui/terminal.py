"""What the terminal can show, decided before Textual is imported.

Textual reads its colour system and frame rate from the environment once, at import,
so the ``--color-depth`` option, the ``--low-bandwidth`` flag and the matching settings
are turned into environment variables here, by the CLI, before any screen is drawn.
The app reads the same variables back (``STUDYCIRCLE_*``) to choose its filters.
"""

import os
from collections.abc import Mapping, MutableMapping

DEPTHS = ("1", "16", "256", "truecolor")
# Textual's (Rich's) names for each depth; one bit is drawn as 16 colours with the
# colours then filtered out, since Rich has no one-bit system.
TEXTUAL_COLOR_SYSTEM = {"1": "standard", "16": "standard", "256": "256", "truecolor": "truecolor"}
LOW_BANDWIDTH_FPS = "12"  # Textual's default is 60 frames a second

ENV_COLOR_DEPTH = "STUDYCIRCLE_COLOR_DEPTH"
ENV_LOW_BANDWIDTH = "STUDYCIRCLE_LOW_BANDWIDTH"
ENV_ASCII = "STUDYCIRCLE_ASCII"
# Textual's own drawing (every refreshed region resent) instead of only changed cells:
# the baseline bench/terminal_bytes.py measures against, and a way out should a terminal
# ever disagree with the copy of the screen the app keeps.
ENV_FULL_REDRAW = "STUDYCIRCLE_FULL_REDRAW"


def detected_depth(environ: Mapping[str, str]) -> str:
    """The depth a terminal announces, by the rules Rich uses: NO_COLOR means none at
    all, COLORTERM=truecolor 24 bits, a TERM ending in 256color 256, anything else 16
    (TERM=linux, xterm, screen, vt100 …)."""
    if environ.get("NO_COLOR", "") != "":
        return "1"
    system = environ.get("TEXTUAL_COLOR_SYSTEM", "").strip().lower()
    if system in ("truecolor", "256", "standard", "windows"):  # set by textual-serve, say
        return {"truecolor": "truecolor", "256": "256"}.get(system, "16")
    if environ.get("COLORTERM", "").strip().lower() in ("truecolor", "24bit"):
        return "truecolor"
    term = environ.get("TERM", "").strip().lower()
    if term.endswith("256color") or term.endswith("kitty"):
        return "256"
    return "16"


def depth_for_term(term: str) -> str:
    """A depth for a terminal known only by its TERM (all an SSH client says about it):
    xterm-256color 256, dumb none, anything else (linux, xterm, screen) 16."""
    term = term.lower()
    if term.endswith("256color") or term.endswith("kitty"):
        return "256"
    if term in ("dumb", "unknown", ""):
        return "1"
    return "16"


def color_depth(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """The depth to draw with: the CLI option, else the setting, else what the terminal
    says. One of DEPTHS."""
    return color_choice(setting, environ)[0]


def color_choice(setting: str, environ: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """(depth, chosen): ``chosen`` is False when the depth is only what the terminal says,
    which Textual already draws with by itself."""
    environ = os.environ if environ is None else environ
    option = environ.get(ENV_COLOR_DEPTH, "")
    if option in DEPTHS:
        return option, True
    if setting in DEPTHS:
        return setting, True
    return detected_depth(environ), False


def flag(name: str, setting: bool, environ: Mapping[str, str] | None = None) -> bool:
    """A yes/no the CLI may have forced on (``STUDYCIRCLE_LOW_BANDWIDTH=1``)."""
    environ = os.environ if environ is None else environ
    return environ.get(name, "") == "1" or setting


def prepare(
    *,
    color_depth_option: str | None,
    low_bandwidth_option: bool,
    ascii_option: bool,
    environ: MutableMapping[str, str] | None = None,
) -> None:
    """Set the environment from the global options and config.toml, before Textual loads.

    Child processes (ssh-serve's sessions, the web server's) inherit it.
    """
    from .config import load_settings

    environ = os.environ if environ is None else environ
    settings = load_settings()
    if color_depth_option:
        environ[ENV_COLOR_DEPTH] = color_depth_option
    if low_bandwidth_option:
        environ[ENV_LOW_BANDWIDTH] = "1"
    if ascii_option:
        environ[ENV_ASCII] = "1"
    explicit = color_depth_option or (
        settings.color_depth if settings.color_depth in DEPTHS else None
    )
    if explicit and "TEXTUAL_COLOR_SYSTEM" not in environ:
        environ["TEXTUAL_COLOR_SYSTEM"] = TEXTUAL_COLOR_SYSTEM[explicit]
    if flag(ENV_LOW_BANDWIDTH, settings.low_bandwidth, environ):
        environ.setdefault("TEXTUAL_FPS", LOW_BANDWIDTH_FPS)
        environ.setdefault("TEXTUAL_ANIMATIONS", "none")
