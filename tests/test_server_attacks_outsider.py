"""What a hostile member tries from a client written from the protocol alone, and the
clear 4xx the server answers with, storing nothing."""

import pytest

from server_helpers import Site


@pytest.fixture
async def site(tmp_path, database):
    site = await Site.start(tmp_path / "server", database)
    yield site
    await site.close()


async def test_a_join_announcing_another_members_key_is_refused(site):
    # The server writes a joiner's key with no proof they hold it: a second member
    # announcing the lead's public key would share the lead's safety number.
    circle, lead = await site.circle_with_lead()
    code = await site.invite(circle)
    before = await site.everything(lead)
    response = await site.client.post(
        "/api/v1/join", json={"invite": code, "display_name": "Mal", "key": lead.key.public}
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "key_taken"
    assert await site.everything(lead) == before  # nothing stored
    assert (await site.join(code, "Ana")).id  # and the invite's use was not taken
