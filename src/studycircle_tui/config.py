"""Where things live (platformdirs) and the user's settings (config.toml).

Reading uses tomllib; a bad value names its key and falls back to the default, so a typo
in the config never stops the app from starting. Writing (the settings screen) uses
tomli-w and replaces the file atomically, keeping keys this version does not know.

The config and data folders hold member tokens, live-quiz keys and the sync log, so they
are kept private: folders 0700 (``private_dir``), files 0600.
"""

import getpass
import os
import re
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

from .core.messages import Message, reason_of

APP = "studycircle"


def private_dir(path: Path) -> Path:
    """Make ``path`` (and any missing parents) a folder only its owner can enter."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)  # made by an older version, or before this rule
    return path


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def config_file() -> Path:
    return config_dir() / "config.toml"


def user_themes_dir(settings_file: Path | None = None) -> Path:
    """Themes the user added: beside their config.toml (an ssh-serve player's own)."""
    return (settings_file.parent if settings_file else config_dir()) / "themes"


def store_file() -> Path:
    return data_dir() / "replica.sqlite3"


def demo_circle_file() -> Path:
    return data_dir() / "demo-circle.jsonl"


def ssh_dir() -> Path:
    """ssh-serve's host key, its authorized-keys file and one folder per player."""
    return data_dir() / "ssh"


def default_name() -> str:
    """A display name to start from: $STUDYCIRCLE_NAME, else the login name, capitalised
    (from the environment, else the password database: a service, a container or
    ``env -i`` may set no $USER), so that members never all start as one same name."""
    chosen = os.environ.get("STUDYCIRCLE_NAME", "").strip()
    if not chosen:
        try:
            chosen = getpass.getuser().strip().capitalize()
        except (OSError, KeyError, ImportError):  # a user id with no entry in /etc/passwd
            chosen = ""
    # A name is one line of at most 80 characters (core.ops.Name).
    chosen = " ".join(chosen.split())[:80]
    return chosen or "Member"


TIME_FORMATS = ("relative", "24h", "12h")
COLOR_DEPTHS = ("auto", "1", "16", "256", "truecolor")
# A key as Textual names it: "f2", "ctrl+s", "R" (shift+r), "question_mark"; commas between.
_KEYS = re.compile(r"^[A-Za-z0-9_+\-]+(,[A-Za-z0-9_+\-]+)*$")


@dataclass(slots=True)
class Settings:
    name: str = field(default_factory=default_name)
    default_circle: str = ""
    bell_on_mention: bool = True
    theme: str = "auto"
    time_format: str = "relative"
    low_bandwidth: bool = False
    color_depth: str = "auto"
    ascii_borders: bool = False
    keys: dict[str, str] = field(default_factory=dict)
    # "auto": the language the environment asks for (i18n.from_environment).
    language: str = "auto"
    problems: list[str] = field(default_factory=list)
    # The config.toml these came from and are saved to; None is the user's own. An
    # ssh-serve player's settings live in their own folder, whatever the server's are.
    path: Path | None = None


def _text(limit: int) -> Callable[[object], object]:
    def check(value: object) -> object:
        if not isinstance(value, str):
            raise ValueError(Message("should be text in quotes"))
        if len(value) > limit:
            raise ValueError(Message("should be at most {limit} characters", limit=limit))
        return value.strip()

    return check


def _one_of(choices: tuple[str, ...]) -> Message:
    return Message("should be one of {choices}", choices=", ".join(repr(c) for c in choices))


def _flag(value: object) -> object:
    if not isinstance(value, bool):
        raise ValueError(Message("should be true or false"))
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[object], object]:
    def check(value: object) -> object:
        if not isinstance(value, str) or value not in choices:
            raise ValueError(_one_of(choices))
        return value

    return check


def _theme(value: object) -> object:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", value):
        raise ValueError(
            Message("should be a theme name such as 'dark' (lower-case letters, digits, -)")
        )
    return value


def _color_depth(value: object) -> object:
    # Written as a number (16) or as text ("16", "truecolor"); kept as text.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value == "24bit":
        value = "truecolor"
    if value not in COLOR_DEPTHS:
        raise ValueError(Message('should be 1, 16, 256, "truecolor" or "auto"'))
    return value


def _keys(value: object) -> object:
    if not isinstance(value, dict):
        raise ValueError(Message('should be a table of binding id = "key", e.g. new-thread = "n"'))
    keys = {}
    for binding, keys_text in value.items():
        if not isinstance(keys_text, str) or not _KEYS.match(keys_text.replace(" ", "")):
            raise ValueError(
                Message(
                    '\'{binding}\' should be keys such as "ctrl+n" or "n,ctrl+n"', binding=binding
                )
            )
        keys[binding] = keys_text.replace(" ", "")
    return keys


def _language(value: object) -> object:
    from .i18n import LANGUAGES

    if not isinstance(value, str) or value not in ("auto", *LANGUAGES):
        raise ValueError(_one_of(("auto", *LANGUAGES)))
    return value


_CHECKS: dict[str, Callable[[object], object]] = {
    "name": _text(80),
    "default_circle": _text(200),
    "bell_on_mention": _flag,
    "theme": _theme,
    "time_format": _choice(TIME_FORMATS),
    "low_bandwidth": _flag,
    "color_depth": _color_depth,
    "ascii_borders": _flag,
    "keys": _keys,
    "language": _language,
}
KEYS = tuple(_CHECKS)


def check(key: str, value: object) -> object:
    """The value as it would be kept for ``key``; ValueError says what is wrong."""
    return _CHECKS[key](value)


def load_settings(path: Path | None = None) -> Settings:
    """Read config.toml; unknown keys and bad values are reported, not fatal."""
    settings = Settings(path=path)
    path = path or config_file()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return settings
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        settings.problems.append(
            Message("{path}: {error}; using the defaults", path=str(path), error=str(error))
        )
        return settings
    for key, value in raw.items():
        check = _CHECKS.get(key)
        if check is None:
            settings.problems.append(
                Message("{path}: unknown setting '{key}' ignored", path=str(path), key=key)
            )
            continue
        try:
            setattr(settings, key, check(value))
        except ValueError as error:
            settings.problems.append(
                Message(
                    "{path}: '{key}' {problem}; using the default",
                    path=str(path),
                    key=key,
                    problem=reason_of(error),
                )
            )
    if not settings.name:
        settings.name = default_name()
    return settings


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write every setting to config.toml (atomically), keeping keys we do not know.

    Raises OSError when the file cannot be written.
    """
    import tomli_w  # only the settings screen writes, so only it pays for the import

    path = path or settings.path or config_file()
    try:
        kept = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        kept = {}
    document = {key: value for key, value in kept.items() if key not in _CHECKS}
    for item in fields(Settings):
        if item.name in _CHECKS:
            value = getattr(settings, item.name)
            if item.name == "color_depth" and value.isdigit():
                value = int(value)
            document[item.name] = value
    private_dir(path.parent)
    # mkstemp makes the file 0600, so the replaced config.toml is private too.
    handle, temporary = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            tomli_w.dump(document, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
