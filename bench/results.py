"""Result files: bench/results/<name>.json per benchmark and SUMMARY.md, a table of them all."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

RESULTS_DIR = Path(__file__).resolve().parent / "results"


class Target(BaseModel):
    """One number held against the issue's target (≥ 95 % of the limit, zero duplicates…)."""

    metric: str
    value: float | int | None
    target: str
    met: bool
    why: str | None = None  # when it is not met: the reason, and what would fix it


class Result(BaseModel):
    name: str
    status: str = "ok"  # ok, or error (the run itself broke; see ``error``)
    started_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    duration_s: float = 0.0
    headline: str = ""  # one line for SUMMARY.md
    config: dict[str, Any] = Field(default_factory=dict)
    targets: list[Target] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    machine: dict[str, Any] = Field(
        default_factory=lambda: {
            "python": platform.python_version(),
            "cpus": __import__("os").cpu_count(),
            "platform": platform.platform(terse=True),
        }
    )


def write(result: Result) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{result.name}.json"
    path.write_text(json.dumps(result.model_dump(mode="json"), indent=2, default=str) + "\n")
    return path


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_summary(order: list[str]) -> Path:
    """SUMMARY.md from every result file present, in ``order`` (then any others)."""
    found: dict[str, Result] = {}
    for path in sorted(RESULTS_DIR.glob("*.json")):
        try:
            found[path.stem] = Result.model_validate_json(path.read_text())
        except ValueError:
            continue
    names = [n for n in order if n in found] + sorted(set(found) - set(order))
    lines = [
        "# qbsync bench summary",
        "",
        "Written by `make bench` (`python -m bench`); each row links to its JSON file, whose "
        "fields `bench/README.md` explains. Measurements, not tests: nothing here fails a build.",
        "",
        "| benchmark | when (UTC) | result | targets |",
        "|---|---|---|---|",
    ]
    for name in names:
        result = found[name]
        if result.status != "ok":
            targets = "run failed"
            headline = f"**error**: {result.error or ''}"[:300]
        else:
            met = [t for t in result.targets if t.met]
            missed = [t for t in result.targets if not t.met]
            targets = f"{len(met)}/{len(result.targets)} met"
            if missed:
                targets += "; missed: " + ", ".join(f"{t.metric} = {t.value}" for t in missed)
            headline = result.headline
        lines.append(
            f"| [{name}]({name}.json) | {result.started_at[:16]} | {_cell(headline)} "
            f"| {_cell(targets)} |"
        )
    misses = [(name, t) for name in names for t in found[name].targets if not t.met and t.why]
    if misses:
        lines += ["", "## Short of target, and why", ""]
        lines += [
            f"- **{name} / {t.metric}** = {t.value} (target {t.target}): {t.why}"
            for name, t in misses
        ]
    path = RESULTS_DIR / "SUMMARY.md"
    path.write_text("\n".join(lines) + "\n")
    return path
