"""Secrets on disk are the user's alone: the replica (live-quiz keys, every op), its
-wal/-shm, member tokens, the config and the sync log. Folders 0700, files 0600, also
when an older version left them readable to others."""

import os
import stat

import pytest

from studycircle_tui import config
from studycircle_tui.config import Settings, save_settings
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.circles import create_demo_circle
from studycircle_tui.sync.join import save_token


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    """The umask most systems have (022): what made these files 0644 before."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_replica_and_its_wal_are_private_in_a_private_folder():
    store = Store(config.store_file())
    store.save_circle(CircleRecord("c", "Club", "file", "/x", "me"))
    store.save_quiz_keys("c", "hash", "salts", b"{}")
    path = config.store_file()
    wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
    assert wal.exists() and shm.exists()
    assert [mode(path), mode(wal), mode(shm)] == [0o600, 0o600, 0o600]
    assert mode(config.data_dir()) == 0o700


def test_files_an_older_version_left_readable_are_made_private():
    data = config.data_dir()
    data.mkdir(parents=True, mode=0o755)
    os.chmod(data, 0o755)
    store = Store(config.store_file())
    store.save_circle(CircleRecord("c", "Club", "file", "/x", "me"))
    path = config.store_file()
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        os.chmod(each, 0o644)
    store.close()
    Store(config.store_file())
    assert mode(data) == 0o700
    assert mode(path) == mode(path.with_name(path.name + "-wal")) == 0o600


def test_member_tokens_are_private():
    path = save_token("01CIRCLE", "secret-token")
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(config.data_dir()) == 0o700


def test_the_config_is_private():
    path = save_settings(Settings(name="Ayu"))
    assert mode(path) == 0o600
    assert mode(config.config_dir()) == 0o700


def test_the_demo_circle_is_private():
    store = Store(config.store_file())
    create_demo_circle(store, config.demo_circle_file(), "Ayu")
    assert mode(config.demo_circle_file()) == 0o600
