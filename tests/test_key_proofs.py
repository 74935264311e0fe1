"""A new key must be its announcer's: a rotation carries the new key's proof.

A ``member.key`` rotation is signed by the old key; that says who announces the key, not
that they hold it. So it also carries ``proof``: the new key's signature over a statement
naming the circle and the member. Without it a hostile member could announce another
member's key as theirs (and show that member's safety number). Every replica refuses
such a rotation and reports it; the app will not make one; a server refuses it with the
code ``key_unproven``. A circle from before proofs (its ``circle.create`` is schema v1)
still folds the rotations its members made then.
"""

import os

import msgspec
import pytest

from circles import join_file_circle, key_of, new_file_circle
from studycircle_tui.core import signing
from studycircle_tui.core.ops import Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.sync.engine import CircleService, Refused
from test_signing import append_line, reported, sync


def by_hand(service: CircleService, data: dict, key: SigningKey) -> Op:
    """A rotation ``service``'s member writes into the circle file by hand."""
    return service.replica.make(
        service.me, "member.key", data, service.now_ms(), os.urandom(10), key
    )


def test_a_rotation_to_a_key_its_author_does_not_hold_is_refused_everywhere(tmp_path):
    """Ana announces Bo's key as her new one three ways: with no proof, with a proof
    made by a key of her own, and with Bo's own proof copied from his rotation (it names
    Bo). On every replica, one reading the file from its start included, Ana's key stays
    hers, each line is reported in words, and members hear of it; Bo's rotation folds."""
    lead = new_file_circle(tmp_path)
    ana, bo = join_file_circle(tmp_path, "Ana"), join_file_circle(tmp_path, "Bo")
    sync(lead, ana, bo)
    bo_rotation = bo.rotate_key()
    sync(bo, ana)
    bo_key = bo.state.key_of(bo.me)
    ana_key = key_of(ana)
    mine = SigningKey(os.urandom(32))
    claims = {
        "no proof": by_hand(ana, {"member": ana.me, "key": bo_key, "reason": "rotate"}, ana_key),
        "own proof": by_hand(
            ana,
            {
                "member": ana.me,
                "key": bo_key,
                "reason": "rotate",
                "proof": mine.prove(ana.state.id, ana.me),
            },
            ana_key,
        ),
        "copied proof": by_hand(
            ana,
            {
                "member": ana.me,
                "key": bo_key,
                "reason": "rotate",
                "proof": bo_rotation.data.proof,
            },
            ana_key,
        ),
    }
    for op in claims.values():
        append_line(tmp_path / "circle.jsonl", op)

    cy = join_file_circle(tmp_path, "Cy")
    for service in (lead, ana, bo, cy):
        sync(service)
        assert service.state.key_of(ana.me) == ana_key.public
        assert service.state.key_of(bo.me) == bo_key
        found = reported(service)
        for how, op in claims.items():
            assert found[op.id].action == "forged", how
            assert found[op.id].actor == ana.me
            assert "a key it does not show it holds" in found[op.id].note, how
        said = [notice.text for notice in service.notices]
        assert any("refused 3 changes" in t or "(member.key) claiming" in t for t in said), said
    # Ana's own app still signs as her: her key is what it was.
    sync(ana)
    assert ana.submit("member.update", {"name": "Ana K."}).id in {o.id for o in ana.replica.ops()}


def test_the_app_will_not_announce_a_key_its_member_does_not_hold(tmp_path):
    lead = new_file_circle(tmp_path)
    ana = join_file_circle(tmp_path, "Ana")
    sync(lead, ana)
    before = len(ana.replica.ops())
    claim = {"member": ana.me, "key": lead.state.key_of(lead.me), "reason": "rotate"}
    with pytest.raises(Refused, match="does not show it holds"):
        ana.submit("member.key", claim)
    assert len(ana.replica.ops()) == before
    assert ana.store.outbox(ana.record.id) == []


def test_a_rotation_proves_its_new_key_for_this_circle_and_member_only(tmp_path):
    lead = new_file_circle(tmp_path)
    ana = join_file_circle(tmp_path, "Ana")
    sync(lead, ana)
    rotated = ana.rotate_key()
    new = key_of(ana)
    assert rotated.v == 2 and rotated.data.proof is not None
    # Checked as every replica checks it: the same proof, named for another circle or
    # another member, proves nothing.
    replace = msgspec.structs.replace
    assert signing.Signatures().proves(rotated)
    elsewhere = replace(rotated, circle="01J2ZQ8W6D2RVR8Y7Q6MZ3K0AB")
    assert not signing.Signatures().proves(elsewhere)
    as_lead = replace(rotated, data=replace(rotated.data, member=lead.me))
    assert not signing.Signatures().proves(as_lead)
    sync(ana, lead)
    assert lead.state.key_of(ana.me) == new.public
    assert not reported(lead)


def _v1(op: Op, key: SigningKey | None) -> Op:
    """``op`` as an app from before key proofs wrote it (schema v1), signed again."""
    old = msgspec.structs.replace(op, v=1, sig=None)
    return key.sign(old) if key is not None else old


def test_a_circle_from_before_proofs_keeps_its_rotations(tmp_path):
    """A circle made by the previous version (circle.create v1) folds the rotations made
    then (v1, no proof), as it did; a rotation with a proof that does not hold is still
    refused there. In a circle of this version a v1 rotation without proof is refused."""
    founder, ana_old, ana_new = (SigningKey(os.urandom(32)) for _ in range(3))
    lead_id, ana_id = "01" + "L" * 24, "01" + "A" * 24
    made = Replica("0" * 26).make(
        lead_id,
        "circle.create",
        {"name": "Old club", "lead_name": "Lea", "key": founder.public},
        1_700_000_000_000,
        b"1" * 10,
        founder,
    )
    for version, create in (("old", _v1(made, founder)), ("new", made)):
        replica = Replica(create.id)
        replica.add([create])
        join = replica.make(
            ana_id,
            "member.join",
            {"name": "Ana", "key": ana_old.public},
            1_700_000_000_001,
            b"2" * 10,
            ana_old,
        )
        replica.add([join])
        rotate = {"member": ana_id, "key": ana_new.public, "reason": "rotate"}
        legacy = _v1(
            replica.make(ana_id, "member.key", rotate, 1_700_000_000_002, b"3" * 10), ana_old
        )
        replica.add([legacy])
        if version == "old":
            assert replica.state.key_of(ana_id) == ana_new.public
            bad_proof = {**rotate, "key": founder.public, "proof": ana_new.prove(create.id, ana_id)}
            wrong = replica.make(
                ana_id, "member.key", bad_proof, 1_700_000_000_003, b"4" * 10, ana_new
            )
            replica.add([wrong])
            assert replica.state.key_of(ana_id) == ana_new.public
            assert replica.state.moderation_log[-1].action == "forged"
        else:
            assert replica.state.key_of(ana_id) == ana_old.public
            entry = replica.state.moderation_log[-1]
            assert (entry.op_id, entry.action) == (legacy.id, "forged")
            assert "too old for this circle" in entry.note


# --- a server circle ---------------------------------------------------------------------


async def test_the_server_refuses_a_rotation_without_proof_of_the_new_key(site):
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    theirs = {"member": ana.id, "key": lead.key.public, "reason": "rotate"}
    other = SigningKey(os.urandom(32))
    refused = [
        ana.make("member.key", theirs),
        ana.make("member.key", {**theirs, "proof": other.prove(circle, ana.id)}),
        # Even where the circle would take a rotation from before proofs (schema v1).
        _v1(ana.make("member.key", {**theirs, "key": other.public}), ana.key),
    ]
    results = await site.push(ana, *refused)
    for result in results:
        assert result["code"] == "key_unproven", result
        assert "does not show it holds" in result["error"]
    new = SigningKey(os.urandom(32))
    honest = {
        "member": ana.id,
        "key": new.public,
        "reason": "rotate",
        "proof": new.prove(circle, ana.id),
    }
    assert "seq" in (await site.push(ana, ana.make("member.key", honest)))[0]
    assert site.hub.circles[circle].replica.state.key_of(ana.id) == new.public
