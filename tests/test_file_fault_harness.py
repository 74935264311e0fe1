"""The file-fault harness (tests/file_faults.py): three writer processes on one circle
file through kill -9, replaced files, conflict copies, truncation, garbage and far-future
stamps; afterwards every replica agrees and no acknowledged op is missing from the file.

A few seeded rounds run here; ``STUDYCIRCLE_FAULT_ROUNDS=50`` runs more (seeds 0..49).
"""

import os

import pytest

from file_faults import Round

ROUNDS = int(os.environ.get("STUDYCIRCLE_FAULT_ROUNDS", "2"))


@pytest.mark.parametrize("seed", range(ROUNDS))
def test_every_replica_converges_and_nothing_acknowledged_is_lost(tmp_path, seed):
    Round(tmp_path, seed).run()
