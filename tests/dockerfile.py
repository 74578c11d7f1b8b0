"""The Dockerfile as (INSTRUCTION, argument) pairs, for tests that check what the image does."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def instructions(dockerfile: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    text = dockerfile.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def build_context_paths(dockerfile: Path = ROOT / "Dockerfile") -> list[str]:
    """What the image build copies from the source tree (COPY without --from)."""
    return [
        source
        for op, arg in instructions(dockerfile)
        if op == "COPY" and "--from" not in arg
        for source in arg.split()[:-1]
    ]
