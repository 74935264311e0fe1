"""The hub's clock: receive times, the answer deadline's check, invite expiry, when a held
suggestion is published. One function, read through this module, so a test sets the
server's time in one place (``monkeypatch.setattr(clock, "now_ms", ...)``)."""

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000
