"""The README documents every setting and shows the two quickstart commands first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from qbsync.config import ENV_PREFIX, NESTED_DELIMITER, Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _variables(model: Any, prefix: str) -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += _variables(annotation, f"{prefix}{name.upper()}{NESTED_DELIMITER}")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_in_the_table() -> None:
    missing = [name for name in _variables(Settings, ENV_PREFIX) if f"`{name}`" not in README]
    assert missing == []


def test_quickstart_commands_come_first() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block
