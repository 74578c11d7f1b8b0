"""Result files: bench/results/<name>.json per benchmark and SUMMARY.md, a table of them all."""

from __future__ import annotations

import json
import os
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

    @classmethod
    def none_of(cls, metric: str, value: int, what: str = "") -> Target:
        """A count that must be zero (429s, duplicates, lost events)."""
        return cls(metric=metric, value=value, target=f"0{what}", met=value == 0)


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
    machine: dict[str, Any] = Field(default_factory=lambda: machine_facts())


def machine_facts() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
    }


class LoadMark(BaseModel):
    """The machine's load when a run starts: load averages and the CPUs' busy/total time."""

    loadavg: list[float] = Field(default_factory=lambda: [round(x, 2) for x in os.getloadavg()])
    cpu: tuple[float, float] | None = Field(default_factory=lambda: cpu_times())


def cpu_times() -> tuple[float, float] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat; None where there is no /proc."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal (guest time is already in user)
    values = [float(v) for v in first[1:9]]
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_share(since: LoadMark) -> float | None:
    """The share of all CPUs busy since ``since`` (with anything: qbsync, the emulator, the
    servers, other people's work on a shared machine)."""
    now = cpu_times()
    if since.cpu is None or now is None or now[1] <= since.cpu[1]:
        return None
    return round((now[0] - since.cpu[0]) / (now[1] - since.cpu[1]), 3)


def note_load(result: Result, start: LoadMark) -> None:
    """The machine's load over the run, in ``machine``: a shared machine's other work (test
    suites) slows qbsync, the emulator and the servers alike."""
    result.machine["loadavg_start"] = start.loadavg
    result.machine["loadavg_end"] = LoadMark().loadavg
    result.machine["cpu_busy_share"] = busy_share(start)


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
