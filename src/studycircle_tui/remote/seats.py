"""Where a player sits in the circle: the member id their SSH key is, on every login.

A player who drops and comes back is the same member, with the same answers, posts and
score, whichever worker takes them and however the server was restarted. The id is
worked out from the circle and the key, so nothing needs to be stored for it:
``ulid(the circle's creation time, sha256(circle id, key id))``.

Players who first came in when each session ran an app process of its own (before the
workers; still ``ssh-serve --app-per-session``) got a random id, kept in their own
replica in their folder; theirs is looked up there, so they keep their seat too.
"""

import hashlib
from pathlib import Path

from ..core.ids import ulid, ulid_ms
from ..store.db import member_in


def player_home(players_dir: Path, key_id: str) -> Path:
    """A player's own folder: their settings (``config/``) and, for an app of their own,
    their replica (``data/``)."""
    return players_dir / key_id


def player_config_file(home: Path) -> Path:
    # Where the player's own app process finds it with XDG_CONFIG_HOME=home/config.
    return home / "config" / "studycircle" / "config.toml"


def player_store_file(home: Path) -> Path:
    # Where the player's own app process keeps it with XDG_DATA_HOME=home/data.
    return home / "data" / "studycircle" / "replica.sqlite3"


def seat(circle_id: str, key_id: str, home: Path) -> str:
    """The member id of the player with ``key_id`` in the circle."""
    earlier = player_store_file(home)
    if earlier.exists():
        member = member_in(earlier, circle_id)
        if member:
            return member
    digest = hashlib.sha256(f"{circle_id}\n{key_id}".encode()).digest()
    return ulid(ulid_ms(circle_id), digest[:10])
