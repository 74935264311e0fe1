"""Joining a server circle with an invite code: ``studycircle join URL CODE --name NAME``.

The server answers with this member's id and token. The token is the one secret a
member holds, so it goes in a file of its own, readable by this user only (mode 0600,
in a 0700 folder), never into the store; the store records how to reach the circle.

The member's signing key for the circle is made here, and its public half sent with
the invite: the server writes it into their ``member.join``. The server's own key comes
back in the answer and is kept, to be compared with the one the circle's log names.
"""

import os
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import msgspec

from ..config import private_dir
from ..core.messages import N_, Message
from ..core.ops import SERVER_ACTOR, Name
from ..core.signing import SigningKey
from ..store.db import CircleRecord, Store
from .http import token_path, unreachable
from .server_errors import sentence


class JoinError(Exception):
    """Joining failed; the text says why in one line."""


class _Joined(msgspec.Struct):
    member: str
    token: str
    circle: str
    name: str
    server_key: str | None = None  # a server from before signing sends none


def normalize_url(url: str) -> str:
    """``example.org`` → ``https://example.org``; a plain-HTTP URL is kept as given."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise JoinError(
            Message("not a server address: {url!r} (expected https://host[:port])", url=url)
        )
    return url


def save_token(circle_id: str, token: str, data_dir: Path | None = None) -> Path:
    path = token_path(circle_id, data_dir)
    private_dir(path.parent.parent)  # the data folder
    private_dir(path.parent)
    # Created with 0600 from the start: there is no moment when others could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    os.chmod(path, 0o600)  # an older file kept its mode through O_TRUNC
    return path


async def join(
    url: str,
    code: str,
    display_name: str,
    store: Store,
    *,
    data_dir: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CircleRecord:
    """Redeem ``code`` at the server, keep the token, and record the circle."""
    url = normalize_url(url)
    display_name = display_name.strip()
    try:
        msgspec.convert(display_name, Name)
    except msgspec.ValidationError:
        raise JoinError(N_("a display name must be 1 to 80 characters")) from None
    key = SigningKey(os.urandom(32))
    wanted = {"invite": code, "display_name": display_name, "key": key.public}
    try:
        async with httpx.AsyncClient(transport=transport, timeout=20.0) as client:
            response = await client.post(f"{url}/api/v1/join", json=wanted)
    except httpx.HTTPError as error:
        raise JoinError(unreachable(error, url)) from None
    if response.status_code != 200:
        try:
            refusal = response.json()["error"]
            reason = sentence(str(refusal["code"]), response.status_code, str(refusal["message"]))
        except (ValueError, KeyError, TypeError):
            reason = sentence("error", response.status_code, "")
        raise JoinError(Message("{url} refused the invite: {reason}", url=url, reason=reason))
    try:
        joined = msgspec.json.decode(response.content, type=_Joined)
    except msgspec.MsgspecError:
        raise JoinError(Message("{url} does not look like a studycircle server", url=url)) from None
    save_token(joined.circle, joined.token, data_dir)
    now = time.time_ns() // 1_000_000
    store.save_key(joined.circle, joined.member, key.public, key.seed, now)
    if joined.server_key is not None:
        store.save_key(joined.circle, SERVER_ACTOR, joined.server_key, None, now)
    record = CircleRecord(joined.circle, joined.name, "server", url, joined.member, now)
    store.save_circle(record)
    return record
