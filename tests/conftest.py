"""Shared fixtures: every test runs with its own empty home, so nothing touches the
real config or data folders, and platformdirs resolves under tmp_path."""

import os
import time

import pytest
from hypothesis import HealthCheck, settings

# How hard the property tests look (tests that set max_examples themselves keep theirs):
# "default" in `make test`; HYPOTHESIS_PROFILE=thorough for a long search before a
# release; "mutants" for `make mutants`, which runs the fast tests once per mutant, few
# examples and the same ones each time, so a mutant's verdict does not depend on luck.
_PROFILE = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("default", max_examples=60, **_PROFILE)
settings.register_profile("thorough", max_examples=1_000, **_PROFILE)
settings.register_profile("mutants", max_examples=6, derandomize=True, database=None, **_PROFILE)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


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
    # English, whatever the machine's locale (tests that speak another language say so).
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    return home


@pytest.fixture(autouse=True)
def steady_cursors(request, monkeypatch):
    """Snapshots with cursors that do not blink. A snapshot is taken after a few pauses;
    on a loaded machine half a second can pass, the focused input's cursor blinks off,
    and the picture differs from the one pinned. Stopping the blink timer's toggle (the
    cursor stays as focus left it: shown) is the only switch Textual offers for it."""
    if "snap_compare" in request.fixturenames:
        from textual.widgets import Input, TextArea

        monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
        monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL server for this test process (each xdist worker its own)."""
    import pg_cluster as clusters

    why = clusters.unavailable()
    if why:
        pytest.fail(f"the PostgreSQL tests need a PostgreSQL server: {why}")
    with clusters.cluster() as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request):
    """Each server test that takes this runs on both stores: None (SQLite in the data
    folder) and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    running = request.getfixturevalue("pg_cluster")
    url = running.database()
    yield url
    running.drop(url)


@pytest.fixture
async def site(tmp_path, database):
    """A server on each store (``database``), as ``server_helpers.Site`` runs it; closed
    after the test. A test file that needs another kind of server defines its own."""
    from server_helpers import Site

    site = await Site.start(tmp_path / "server", database)
    yield site
    await site.close()
