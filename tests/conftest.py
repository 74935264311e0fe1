"""Shared fixtures: every test runs with its own empty home, so nothing touches the
real config or data folders, and platformdirs resolves under tmp_path."""

import time

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("STUDYCIRCLE_NAME", "Tester")
    # Local times on screen (and in snapshots) must not depend on the machine's zone.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    return home
