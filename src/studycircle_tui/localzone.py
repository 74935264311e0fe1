"""This machine's time zone by its IANA name (e.g. "Asia/Jakarta"), for new sessions
and rotas, which must name a zone that every member's replica resolves the same way."""

import os


def local_zone_name() -> str:
    """The TZ variable, else where /etc/localtime points, else "UTC"."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            target = os.readlink("/etc/localtime")
        except OSError:
            return "UTC"
        name = target.partition("zoneinfo/")[2]
    return name or "UTC"
