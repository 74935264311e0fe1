"""The pty harness reads a terminal whose descriptor is past select()'s limit of 1024, as
it is in a test worker that has run a few hundred tests (ptyterm.readable)."""

import os
import pty
import resource

from ptyterm import readable


def test_a_terminal_past_a_thousand_descriptors_is_read():
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard = limits
    if soft < 1100:  # a process may raise its own soft limit up to the hard one
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    leader, follower = pty.openpty()
    high = os.dup2(leader, 1050)  # where a long-running worker's next pty lands
    try:
        assert not readable(high, 0)
        os.write(follower, b"x")
        assert readable(high, 5)
    finally:
        for fd in (high, leader, follower):
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
