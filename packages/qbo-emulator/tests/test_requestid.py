"""``requestid``: a repeated id is answered with the first response and does nothing new."""

from __future__ import annotations

from qbo_emulator.control import EmulatorControl
from support import SEED_REALM, Qbo, fault_code


class TestReplay:
    async def test_second_create_returns_the_first_answer_byte_for_byte(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        first = await qbo.post("customer", {"DisplayName": "Once Only"}, requestid="req-1")
        second = await qbo.post("customer", {"DisplayName": "Something Else"}, requestid="req-1")
        assert first.status_code == second.status_code == 200
        assert first.content == second.content
        assert len(await control.entities(SEED_REALM, "Customer")) == 1
        logged = [entry.requestid for entry in await control.requests(SEED_REALM)]
        assert logged == ["req-1", "req-1"]

    async def test_a_fault_is_replayed_too(self, qbo: Qbo) -> None:
        await qbo.customer("Taken Name")
        first = await qbo.post("customer", {"DisplayName": "Taken Name"}, requestid="req-2")
        assert fault_code(first) == "6240"
        second = await qbo.post("customer", {"DisplayName": "Free Name"}, requestid="req-2")
        assert (second.status_code, second.content) == (first.status_code, first.content)

    async def test_different_ids_do_different_work(
        self, qbo: Qbo, control: EmulatorControl
    ) -> None:
        await qbo.post("customer", {"DisplayName": "One"}, requestid="a")
        await qbo.post("customer", {"DisplayName": "Two"}, requestid="b")
        assert len(await control.entities(SEED_REALM, "Customer")) == 2

    async def test_ids_are_per_realm(self, qbo: Qbo, control: EmulatorControl) -> None:
        other = await control.create_realm()
        tokens = await control.issue_tokens(other.realm_id)
        elsewhere = Qbo(qbo.http, realm_id=other.realm_id, access_token=tokens.access_token)
        await qbo.post("customer", {"DisplayName": "Here"}, requestid="shared")
        response = await elsewhere.post("customer", {"DisplayName": "There"}, requestid="shared")
        assert response.json()["Customer"]["DisplayName"] == "There"
