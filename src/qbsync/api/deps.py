"""Annotated dependency aliases so that route signatures read like their collaborators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from qbsync.config import Settings
from qbsync.resources import Resources


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_settings_dep(resources: ResourcesDep) -> Settings:
    return resources.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """The unit of work of one request: committed before the response is sent."""
    async with resources.sessionmaker.begin() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


# A database row id in a path: bounded so that an absurd number is a 422, not a 500.
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]
