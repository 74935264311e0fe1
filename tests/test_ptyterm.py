"""The pty harness reads a terminal whose descriptor is past select()'s limit of 1024, as
it is in a test worker that has run a few hundred tests (ptyterm.readable)."""

import os
import pty
import resource

import pytest

from ptyterm import readable


def test_a_terminal_past_a_thousand_descriptors_is_read():
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1100:
        pytest.skip(f"this machine allows {soft} open files")
    leader, follower = pty.openpty()
    high = os.dup2(leader, 1050)  # where a long-running worker's next pty lands
    try:
        assert not readable(high, 0)
        os.write(follower, b"x")
        assert readable(high, 5)
    finally:
        for fd in (high, leader, follower):
            os.close(fd)
