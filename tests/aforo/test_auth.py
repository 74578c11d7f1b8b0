"""Service tokens: what we mint, and when a caller's token is forwarded instead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import OctKey
from pydantic import SecretStr

from qbsync.aforo.auth import AforoCredentials, mint_service_token
from tests.aforo.conftest import (
    ORG_ID,
    OTHER_SECRET,
    SECRET,
    START,
    TTL_S,
    FakeClock,
    caller_token,
)

KEY = OctKey.import_key(SECRET.get_secret_value())


def _token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


class TestMintServiceToken:
    def test_claims_match_metering_service_token_shape(self) -> None:
        token = mint_service_token(SECRET, organization_id=ORG_ID, ttl_s=TTL_S, now=START)

        decoded = jwt.decode(token, KEY, algorithms=["HS256"])

        assert decoded.header["alg"] == "HS256"
        issued = int(START.timestamp())
        assert decoded.claims == {
            "sub": "qbsync",
            "iss": "aforo-qbsync",
            "organizationId": ORG_ID,
            "orgId": ORG_ID,
            "type": "service",
            "service": "qbsync",
            "iat": issued,
            "exp": issued + TTL_S,
        }

    def test_signed_with_the_given_secret_only(self) -> None:
        token = mint_service_token(SECRET, organization_id=ORG_ID, ttl_s=TTL_S)

        with pytest.raises(BadSignatureError):
            jwt.decode(token, OctKey.import_key(OTHER_SECRET.get_secret_value()))


class TestHeadersFor:
    def test_mints_when_there_is_no_caller_token(self, credentials: AforoCredentials) -> None:
        headers = credentials.headers_for(ORG_ID)

        assert headers["X-Organization-Id"] == str(ORG_ID)
        claims = jwt.decode(_token_of(headers), KEY).claims
        assert (claims["sub"], claims["organizationId"]) == ("qbsync", ORG_ID)
        assert claims["exp"] == int(START.timestamp()) + TTL_S

    def test_forwards_a_valid_caller_token_for_the_same_org(
        self, credentials: AforoCredentials
    ) -> None:
        token = caller_token(
            sub="metering-service", organizationId=ORG_ID, exp=int(START.timestamp()) + 7200
        )

        headers = credentials.headers_for(ORG_ID, caller_token=token)

        assert headers == {"Authorization": f"Bearer {token}", "X-Organization-Id": str(ORG_ID)}

    def test_accepts_a_caller_token_given_with_its_bearer_prefix(
        self, credentials: AforoCredentials
    ) -> None:
        token = caller_token(orgId=str(ORG_ID), exp=int(START.timestamp()) + 7200)

        headers = credentials.headers_for(ORG_ID, caller_token=f"Bearer {token}")

        assert _token_of(headers) == token

    @pytest.mark.parametrize(
        ("why", "claims", "secret"),
        [
            ("expired", {"organizationId": ORG_ID, "exp": -10}, SECRET),
            ("expires within a minute", {"organizationId": ORG_ID, "exp": 59}, SECRET),
            ("another org", {"organizationId": ORG_ID + 1, "exp": 7200}, SECRET),
            ("no org claim", {"exp": 7200}, SECRET),
            ("no expiry", {"organizationId": ORG_ID}, SECRET),
            ("not yet valid", {"organizationId": ORG_ID, "exp": 7200, "nbf": 600}, SECRET),
            ("foreign signature", {"organizationId": ORG_ID, "exp": 7200}, OTHER_SECRET),
        ],
    )
    def test_mints_instead_of_forwarding_a_token_that_is_not_good_enough(
        self, credentials: AforoCredentials, why: str, claims: dict[str, int], secret: SecretStr
    ) -> None:
        # exp and nbf are given relative to the fake clock's start.
        relative = {
            k: v + int(START.timestamp()) if k in ("exp", "nbf") else v for k, v in claims.items()
        }
        token = caller_token(secret=secret, **relative)

        headers = credentials.headers_for(ORG_ID, caller_token=token)

        sent = _token_of(headers)
        assert sent != token, why
        minted = jwt.decode(sent, KEY).claims
        assert (minted["sub"], minted["organizationId"]) == ("qbsync", ORG_ID)

    def test_mints_instead_of_forwarding_garbage(self, credentials: AforoCredentials) -> None:
        headers = credentials.headers_for(ORG_ID, caller_token="not-a-jwt")

        assert jwt.decode(_token_of(headers), KEY).claims["sub"] == "qbsync"

    def test_reuses_a_minted_token_until_thirty_seconds_before_expiry(
        self, credentials: AforoCredentials, clock: FakeClock
    ) -> None:
        first = _token_of(credentials.headers_for(ORG_ID))

        clock.advance(TTL_S - 31)
        assert _token_of(credentials.headers_for(ORG_ID)) == first

        clock.advance(1)
        renewed = _token_of(credentials.headers_for(ORG_ID))
        assert renewed != first
        assert jwt.decode(renewed, KEY).claims["exp"] == int(
            (START + timedelta(seconds=2 * TTL_S - 30)).timestamp()
        )

    def test_caches_tokens_per_org(self, credentials: AforoCredentials) -> None:
        one = jwt.decode(_token_of(credentials.headers_for(1)), KEY).claims
        two = jwt.decode(_token_of(credentials.headers_for(2)), KEY).claims

        assert (one["orgId"], two["orgId"]) == (1, 2)
        assert _token_of(credentials.headers_for(1)) == _token_of(credentials.headers_for(1))
