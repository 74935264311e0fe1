"""Key proofs and schema versions, attacked by a client written from the protocol in
docs/architecture.md alone: httpx, JSON and its own Ed25519 keys (``cryptography``), no
code of the app. Every attack is answered with its stable code and stores nothing; a
rotation made right is taken (the positive control: this client speaks the protocol)."""

import base64
import json
import os
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from server_helpers import Site

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
OP_DOMAIN = b"studycircle op v1\n"
PROOF_DOMAIN = b"studycircle key proof v1\n"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public(key: Ed25519PrivateKey) -> str:
    return b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def new_id(ms: int) -> str:
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def canonical(op: dict) -> bytes:
    """What a signature covers (docs/architecture.md, "Authorship"): the op without
    ``sig`` as compact JSON, its fields in the canonical order (``type``, ``data``, then
    ``v``, ``id``, ``circle``, ``actor``, ``hlc``), after the domain tag."""
    order = ("type", "data", "v", "id", "circle", "actor", "hlc")
    fields = {name: op[name] for name in order if name in op}
    return OP_DOMAIN + json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


def proof(key: Ed25519PrivateKey, circle: str, member: str) -> str:
    return b64(key.sign(PROOF_DOMAIN + f"{circle}\n{member}\n{public(key)}".encode("ascii")))


class Outsider:
    """A member as the protocol sees one: an id, a token, a private key."""

    def __init__(self, site: Site, circle: str, member: str, token: str, key) -> None:
        self.site, self.circle, self.id, self.token, self.key = site, circle, member, token, key

    @classmethod
    async def join(cls, site: Site, code: str, name: str) -> "Outsider":
        key = Ed25519PrivateKey.generate()
        answer = await site.client.post(
            "/api/v1/join", json={"invite": code, "display_name": name, "key": public(key)}
        )
        assert answer.status_code == 200, answer.text
        joined = answer.json()
        return cls(site, joined["circle"], joined["member"], joined["token"], key)

    def op(self, type_name: str, data: dict, v: object = 1, circle: str | None = None) -> dict:
        # Stamps strictly after the last (and after the server's stamp of the join).
        self.ms = max(time.time_ns() // 1_000_000, getattr(self, "ms", 0)) + 1
        op = {
            "type": type_name,
            "v": v,
            "id": new_id(self.ms),
            "circle": circle or self.circle,
            "actor": self.id,
            "hlc": f"{self.ms:012x}0000",
            "data": data,
        }
        return {**op, "sig": b64(self.key.sign(canonical(op)))}

    def rotation(self, new_key, proven: str | None, circle: str | None = None) -> dict:
        data = {"member": self.id, "key": public(new_key), "reason": "rotate"}
        if proven is not None:
            data["proof"] = proven
        return self.op("member.key", data, v=2 if proven else 1, circle=circle)

    async def push(self, *ops: dict, circle: str | None = None) -> list[dict]:
        answer = await self.site.client.post(
            f"/api/v1/circles/{circle or self.circle}/ops",
            json={"ops": list(ops)},
            headers={"authorization": f"Bearer {self.token}"},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["results"]

    async def log(self) -> list[dict]:
        answer = await self.site.client.get(
            f"/api/v1/circles/{self.circle}/ops",
            params={"since": 0, "limit": 1000},
            headers={"authorization": f"Bearer {self.token}"},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["ops"]


@pytest.fixture
async def site(tmp_path):
    site = await Site.start(tmp_path / "server")
    yield site
    await site.close()


async def two_members(site: Site, name: str = "Biology") -> tuple[Outsider, Outsider]:
    circle, founding = await site.new_circle(name)
    lead = await Outsider.join(site, founding, "Lea")
    mal = await Outsider.join(site, await site.invite(circle), "Mal")
    return lead, mal


async def refused(member: Outsider, op: dict, code: str) -> None:
    """``op`` pushed by ``member``: refused with ``code``, and the log unchanged."""
    before = await member.log()
    [result] = await member.push(op)
    assert "seq" not in result and not result.get("sealed"), result
    assert result["id"] == op.get("id")
    assert result.get("code") == code, result
    assert result["error"]
    assert await member.log() == before


async def test_a_proven_rotation_from_this_client_is_taken(site):
    _, mal = await two_members(site)
    new_key = Ed25519PrivateKey.generate()
    [result] = await mal.push(mal.rotation(new_key, proof(new_key, mal.circle, mal.id)))
    assert "seq" in result, result
    mal.key = new_key  # and the new key signs from now on
    [renamed] = await mal.push(mal.op("member.update", {"name": "Mal baru"}))
    assert "seq" in renamed, renamed


async def test_a_rotation_without_a_proof_is_refused(site):
    _, mal = await two_members(site)
    await refused(mal, mal.rotation(Ed25519PrivateKey.generate(), None), "key_unproven")
    # v2 and still no proof: the same.
    no_proof = mal.op(
        "member.key",
        {"member": mal.id, "key": public(Ed25519PrivateKey.generate()), "reason": "rotate"},
        v=2,
    )
    await refused(mal, no_proof, "key_unproven")


async def test_a_rotation_with_another_members_proof_is_refused(site):
    """Mal copies the proof from the lead's rotation to announce the lead's new key as
    his own (so his safety number would be hers)."""
    lead, mal = await two_members(site)
    leads_key = Ed25519PrivateKey.generate()
    leads_proof = proof(leads_key, lead.circle, lead.id)
    [taken] = await lead.push(lead.rotation(leads_key, leads_proof))
    assert "seq" in taken, taken
    stolen = mal.op(
        "member.key",
        {"member": mal.id, "key": public(leads_key), "reason": "rotate", "proof": leads_proof},
        v=2,
    )
    await refused(mal, stolen, "key_unproven")


async def test_a_rotation_proven_for_another_circle_is_refused(site):
    _, mal = await two_members(site)
    new_key = Ed25519PrivateKey.generate()
    elsewhere = proof(new_key, new_id(time.time_ns() // 1_000_000), mal.id)
    await refused(mal, mal.rotation(new_key, elsewhere), "key_unproven")


async def test_a_proven_rotation_replayed_into_another_circle_is_refused(site):
    """Mal rotates in circle A (a valid proof), then replays it into circle B where he
    is a member too: as it was (it names circle A), and rewritten for B with his B
    identity and A's proof."""
    _, mal_a = await two_members(site, "A")
    _, mal_b = await two_members(site, "B")
    new_key = Ed25519PrivateKey.generate()
    rotation = mal_a.rotation(new_key, proof(new_key, mal_a.circle, mal_a.id))
    [taken] = await mal_a.push(rotation)
    assert "seq" in taken, taken
    await refused(mal_b, rotation, "wrong_circle")
    rewritten = mal_b.op(
        "member.key",
        {**rotation["data"], "member": mal_b.id},
        v=2,
    )
    await refused(mal_b, rewritten, "key_unproven")


@pytest.mark.parametrize(
    ("v", "code"),
    [(99, "unsupported_version"), (0, "unsupported_version"), ("1", "invalid_op")],
)
async def test_an_op_of_a_version_this_server_does_not_read_is_refused(site, v, code):
    lead, _ = await two_members(site)
    await refused(lead, lead.op("channel.create", {"name": "umum"}, v=v), code)


async def test_an_op_without_a_version_is_refused(site):
    lead, _ = await two_members(site)
    op = lead.op("channel.create", {"name": "umum"})
    del op["v"]
    await refused(lead, op, "invalid_op")
