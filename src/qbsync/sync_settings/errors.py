"""Sync-settings errors.

QbsyncError
└── InvalidInput
    └── SettingsRefused  422  a settings change that does not fit the company (each field named)
"""

from __future__ import annotations

from qbsync.errors import InvalidInput


class SettingsRefused(InvalidInput):
    code = "settings_refused"
