"""The ``qbsync`` command line: the emulator shortcut without the emulator installed."""

from __future__ import annotations

import sys

import pytest

from qbsync.cli import build_parser


def test_the_emulator_shortcut_says_the_package_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in the production image: the qbo-emulator distribution is not installed.
    monkeypatch.setitem(sys.modules, "qbo_emulator.cli", None)
    args = build_parser().parse_args(["emulator", "--port", "0"])
    with pytest.raises(SystemExit, match="qbo-emulator package is not installed"):
        args.func(args)
