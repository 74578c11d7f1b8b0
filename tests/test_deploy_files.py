"""Dockerfile and docker-compose.yml: no engine runs here, so check what can be checked."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from qbsync.config import ENV_PREFIX, NESTED_DELIMITER, Settings
from tests.dockerfile import ROOT, build_context_paths, instructions

EMULATOR_DOCKERFILE = ROOT / "packages" / "qbo-emulator" / "Dockerfile"


def _is_setting(variable: str) -> bool:
    """Whether QBSYNC_A__B names a field of Settings (so a typo in compose is caught)."""
    assert variable.startswith(ENV_PREFIX), variable
    path = variable[len(ENV_PREFIX) :].lower().split(NESTED_DELIMITER)
    model: Any = Settings
    for part in path:
        fields = model.model_fields
        if part not in fields:
            return False
        annotation = fields[part].annotation
        model = (
            annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields")
            else None
        )
        if model is None:
            return part == path[-1]
    return True


class TestDockerfile:
    def test_slim_base_non_root_and_serves(self) -> None:
        parsed = instructions()
        bases = [arg for op, arg in parsed if op == "FROM"]
        assert bases
        assert all("slim" in base for base in bases)
        users = [arg for op, arg in parsed if op == "USER"]
        assert users
        assert users[-1] not in {"root", "0"}
        ops = [op for op, _ in parsed]
        assert ops.index("USER") < ops.index("CMD")
        assert ("EXPOSE", "8095") in parsed
        assert ("ENTRYPOINT", '["qbsync"]') in parsed
        assert ("CMD", '["serve"]') in parsed

    def test_the_container_listens_beyond_its_loopback(self) -> None:
        # qbsync's default host is 127.0.0.1, which a published port cannot reach.
        env = " ".join(arg for op, arg in instructions() if op == "ENV")
        assert "QBSYNC_SERVER__HOST=0.0.0.0" in env

    @pytest.mark.parametrize("dockerfile", [ROOT / "Dockerfile", EMULATOR_DOCKERFILE])
    def test_copied_paths_exist(self, dockerfile: Path) -> None:
        paths = build_context_paths(dockerfile)
        assert paths
        for source in paths:
            assert (ROOT / source).exists(), source

    def test_the_image_builds_from_the_sources_and_the_migrations(self) -> None:
        assert {"src", "migrations", "setup.py", "pyproject.toml"} <= set(build_context_paths())

    def test_the_production_image_leaves_the_emulator_out(self) -> None:
        sources = build_context_paths()
        assert "src" in sources
        assert not [source for source in sources if source.startswith("packages")]
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        assert not [dep for dep in project["dependencies"] if "emulator" in dep]

    def test_no_production_module_imports_the_emulator_eagerly(self) -> None:
        """Only inside a function (the ``qbsync emulator`` shortcut), so the image loads."""
        eager = []
        for module in (ROOT / "src" / "qbsync").rglob("*.py"):
            for node in ast.parse(module.read_text()).body:
                if isinstance(node, ast.Import | ast.ImportFrom) and "qbo_emulator" in ast.unparse(
                    node
                ):
                    eager.append(f"{module.relative_to(ROOT)}:{node.lineno}")
        assert eager == []

    def test_the_emulator_has_its_own_image(self, compose: dict[str, Any]) -> None:
        emulator = compose["services"]["emulator"]
        assert emulator["profiles"] == ["demo"]
        assert (ROOT / emulator["build"]["context"] / emulator["build"]["dockerfile"]).samefile(
            EMULATOR_DOCKERFILE
        )
        assert ("ENTRYPOINT", '["qbo-emulator"]') in instructions(EMULATOR_DOCKERFILE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


class TestCompose:
    def test_services_and_ports(self, compose: dict[str, Any]) -> None:
        services = compose["services"]
        assert {"postgres", "rabbitmq", "migrate", "qbsync"} <= set(services)
        assert "management" in services["rabbitmq"]["image"]
        assert services["rabbitmq"]["ports"] == ["127.0.0.1:15672:15672"]
        assert services["qbsync"]["ports"] == ["8095:8095"]
        assert services["migrate"]["command"] == ["migrate"]
        assert services["qbsync"]["command"] == ["serve"]
        assert (
            services["qbsync"]["depends_on"]["migrate"]["condition"]
            == "service_completed_successfully"
        )

    def test_stores_with_default_credentials_are_not_published(
        self, compose: dict[str, Any]
    ) -> None:
        services = compose["services"]
        assert "ports" not in services["postgres"]
        for service in services.values():
            for port in service.get("ports", []):
                published = str(port).split(":")
                assert published[-1] not in {"5432", "5672"}
                if published[-1] != "8095":
                    assert published[0] == "127.0.0.1", port

    def test_environment_names_real_settings(self, compose: dict[str, Any]) -> None:
        environment = compose["services"]["qbsync"]["environment"]
        assert environment, "qbsync needs its settings"
        unknown = [name for name in environment if not _is_setting(name)]
        assert unknown == []
        required = {
            "QBSYNC_JWT_SECRET",
            "QBSYNC_TOKEN_ENCRYPTION_KEYS",
            "QBSYNC_DB__URL",
            "QBSYNC_AMQP__URL",
        }
        assert required <= set(environment)
        assert re.search(r"@postgres:5432/", environment["QBSYNC_DB__URL"])
        assert re.search(r"@rabbitmq:5672/", environment["QBSYNC_AMQP__URL"])

    def test_the_checker_catches_a_typo(self) -> None:
        assert _is_setting("QBSYNC_QUICKBOOKS__CLIENT_ID")
        assert not _is_setting("QBSYNC_QUICKBOOKS__CLIENTID")
        assert not _is_setting("QBSYNC_DATABASE__URL")
