"""The ``qbsync`` command line: the emulator shortcut without the emulator installed."""

from __future__ import annotations

import sys

import httpx
import pytest

from qbsync.cli import build_parser
from qbsync.config import Settings


def test_the_emulator_shortcut_says_the_package_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in the production image: the qbo-emulator distribution is not installed.
    monkeypatch.setitem(sys.modules, "qbo_emulator.cli", None)
    args = build_parser().parse_args(["emulator", "--port", "0"])
    with pytest.raises(SystemExit, match="qbo-emulator package is not installed"):
        args.func(args)


@pytest.mark.parametrize(("flags", "status"), [([], 403), (["--operator"], 200)])
async def test_a_printed_token_opens_what_its_role_allows(
    flags: list[str],
    status: int,
    settings: Settings,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The README's "try it by hand": `qbsync token --operator` for the operator routes.
    monkeypatch.setattr("qbsync.cli.get_settings", lambda: settings)
    args = build_parser().parse_args(["token", "--org", "1", *flags])
    args.func(args)
    token = capsys.readouterr().out.strip()
    answer = await client.get(
        "/api/quickbooks/read-budget", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == status, answer.text
