"""Who may come in over SSH: an authorized-keys file mapping public keys to members.

The file looks like OpenSSH's ``authorized_keys``, with the member's display name as a
``name="…"`` option in front of the key (a player's ``~/.ssh/id_ed25519.pub`` pasted on
one line, the name put before it)::

    # studycircle ssh-serve: one player per line
    name="Ayu" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG… ayu@laptop
    name="Budi Santoso" ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ… budi@school
    ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH… sam@home        # no name: "sam"

Each key is one player: their own member identity in the circle, kept in a folder named
after the key's fingerprint. The file is read again at every login, so a lead adds a
player without restarting the server. A line that cannot be read is reported with its
number and skipped; the other players still get in.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

KEY_TYPES = re.compile(r"^(ssh-|ecdsa-|sk-)[A-Za-z0-9@.\-]+$")
_OPTION = re.compile(r'^([A-Za-z-]+)(?:="((?:[^"\\]|\\.)*)")?')


@dataclass(frozen=True, slots=True)
class Player:
    """Someone at the other end of an SSH connection, as the circle will know them."""

    key_id: str  # "key-" + 16 hex digits of the key's SHA-256, or "guest-" + user name
    name: str
    guest: bool


def key_id(key_blob: bytes) -> str:
    """A stable, file-name-safe id for a public key (its SHA-256, shortened)."""
    return "key-" + hashlib.sha256(key_blob).hexdigest()[:16]


def _split_options(line: str) -> tuple[str, str]:
    """(options, rest): options is everything before the key type, quotes respected."""
    if KEY_TYPES.match(line.split(None, 1)[0]):
        return "", line
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char in " \t" and not quoted:
            return line[:index], line[index:].strip()
    return line, ""


def _name_option(options: str) -> str | None:
    rest = options
    while rest:
        match = _OPTION.match(rest)
        if not match:
            raise ValueError(f"cannot read the options {options!r}")
        if match.group(1) == "name" and match.group(2) is not None:
            return match.group(2).replace('\\"', '"')
        rest = rest[match.end() :].lstrip(",")
    return None


def parse_authorized_keys(text: str) -> tuple[dict[bytes, str], list[str]]:
    """Public key blobs mapped to display names, and one problem per unreadable line."""
    import asyncssh  # only ssh-serve needs it

    players: dict[bytes, str] = {}
    problems: list[str] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            options, rest = _split_options(line)
            name = _name_option(options) if options else None
            parts = rest.split(None, 2)
            if len(parts) < 2:
                raise ValueError("expected a key type and the key after it")
            key = asyncssh.import_public_key(f"{parts[0]} {parts[1]}")
            comment = parts[2] if len(parts) > 2 else ""
        except (ValueError, asyncssh.KeyImportError) as error:
            problems.append(f"line {number}: {error}")
            continue
        if not name:
            name = comment.split("@", 1)[0].strip() or f"Player {key_id(key.public_data)[4:10]}"
        players[key.public_data] = name.strip()[:80]
    return players, problems


def read_authorized_keys(path: Path) -> tuple[dict[bytes, str], list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, [f"{path}: no such file (no player can log in with a key yet)"]
    except (OSError, UnicodeDecodeError) as error:
        return {}, [f"{path}: cannot be read ({error})"]
    players, problems = parse_authorized_keys(text)
    return players, [f"{path}: {problem}" for problem in problems]


def guest_name(username: str) -> str:
    """A display name for a guest, from the user name their ssh client sent."""
    cleaned = "".join(char for char in username if char.isalnum() or char in "._-")[:32]
    return f"{cleaned or 'someone'} (guest)"
