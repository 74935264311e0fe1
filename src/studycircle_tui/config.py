"""Where things live (platformdirs) and the user's settings (config.toml).

Reading uses tomllib; a bad value names its key and falls back to the default, so a typo
in the config never stops the app from starting.
"""

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

APP = "studycircle"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def config_file() -> Path:
    return config_dir() / "config.toml"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def store_file() -> Path:
    return data_dir() / "replica.sqlite3"


def demo_circle_file() -> Path:
    return data_dir() / "demo-circle.jsonl"


def default_name() -> str:
    """A display name to start from: the login name, capitalised."""
    for variable in ("STUDYCIRCLE_NAME", "USER", "LOGNAME", "USERNAME"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value[:80] if variable == "STUDYCIRCLE_NAME" else value.capitalize()[:80]
    return "Me"


@dataclass(slots=True)
class Settings:
    name: str = field(default_factory=default_name)
    default_circle: str = ""
    bell_on_mention: bool = True
    problems: list[str] = field(default_factory=list)


_TYPES = {"name": str, "default_circle": str, "bell_on_mention": bool}


def load_settings(path: Path | None = None) -> Settings:
    """Read config.toml; unknown keys and wrong types are reported, not fatal."""
    path = path or config_file()
    settings = Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return settings
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        settings.problems.append(f"{path}: {error}; using the defaults")
        return settings
    for key, value in raw.items():
        expected = _TYPES.get(key)
        if expected is None:
            settings.problems.append(f"{path}: unknown setting '{key}' ignored")
        elif not isinstance(value, expected):
            settings.problems.append(
                f"{path}: '{key}' should be a {expected.__name__}; using the default"
            )
        else:
            setattr(settings, key, value)
    return settings
