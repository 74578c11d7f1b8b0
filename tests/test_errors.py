"""The error tree: every qbsync error lives in its package's errors.py, is drawn in that
module's docstring, speaks the one ErrorCategory vocabulary, and says whether it is
retryable by declaration (class default, or the constructor for one instance)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import pytest

import qbsync
from qbsync.aforo.errors import AforoUnavailable
from qbsync.connections.errors import NotConnected
from qbsync.errors import DependencyUnavailable, ErrorCategory, QbsyncError
from qbsync.quickbooks.errors import QuickBooksValidationError
from qbsync.sync.errors import DependencyFailed

# Importing the alembic environment would run a migration.
_SKIPPED = ("qbsync.migrations",)


def _all_errors() -> list[type[QbsyncError]]:
    for module in pkgutil.walk_packages(qbsync.__path__, "qbsync."):
        if not module.name.startswith(_SKIPPED):
            importlib.import_module(module.name)
    found: list[type[QbsyncError]] = []
    pending = [QbsyncError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += [sub for sub in cls.__subclasses__() if not sub.__module__.startswith("tests")]
    return [cls for cls in found if not cls.__module__.startswith(_SKIPPED)]


ERRORS = _all_errors()


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
class TestEveryError:
    def test_lives_in_an_errors_module_that_draws_it(self, cls: type[QbsyncError]) -> None:
        assert cls.__module__.rsplit(".", 1)[-1] == "errors"
        assert cls.__name__ in (sys.modules[cls.__module__].__doc__ or "")

    def test_speaks_the_one_category_vocabulary(self, cls: type[QbsyncError]) -> None:
        assert isinstance(cls.category, ErrorCategory)
        assert isinstance(cls.retryable, bool)

    def test_codes_are_unique(self, cls: type[QbsyncError]) -> None:
        assert [other for other in ERRORS if other.code == cls.code] == [cls]


def test_the_tree_is_found() -> None:
    assert {"DependencyFailed", "TokenDecryptionFailed", "PdfLinkExpired"} <= {
        cls.__name__ for cls in ERRORS
    }


@pytest.mark.parametrize(
    ("cause", "retryable"),
    [
        (AforoUnavailable("down", service="org"), True),
        (DependencyUnavailable("down"), True),
        (NotConnected("no connection"), False),
        (QuickBooksValidationError("bad line"), False),
    ],
)
def test_a_dependency_failure_is_as_retryable_as_its_cause(
    cause: QbsyncError, retryable: bool
) -> None:
    failed = DependencyFailed("the customer could not be synced", cause=cause)
    assert failed.retryable is retryable
    assert DependencyFailed.retryable is False  # the instance said so, not the class
    assert failed.category is ErrorCategory.DEPENDENCY


def test_the_constructor_overrides_the_class_default_for_one_instance() -> None:
    assert QbsyncError("x", retryable=True).retryable is True
    assert DependencyUnavailable("x", retryable=False).retryable is False
    assert DependencyUnavailable("x").retryable is True
