"""Where theme files live: bundled with the app, and the user's own in the config folder."""

from pathlib import Path


def bundled_themes_dir() -> Path:
    """The themes shipped with the app: inside the installed package, or, in a source
    checkout (an editable install), the repository's top-level ``themes/`` folder."""
    packaged = Path(__file__).parent / "themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "themes"
