"""Connection errors.

QbsyncError
└── ConnectionError_
    ├── NotConnected          409  NOT_CONNECTED: the organization has no active connection
    ├── NeedsReauth           409  AUTH: Intuit refused the refresh token; reconnect
    ├── OAuthStateInvalid     400  forged, replayed or expired `state`
    ├── OAuthDenied           400  the user declined consent at Intuit
    ├── CompanySwitchRefused  409  reconnect would move the org to another company
    ├── OAuthInvalidGrant     400  Intuit answered invalid_grant
    ├── OAuthRejected         502  Intuit's token endpoint refused for another reason
    └── OAuthUnavailable      503  Intuit's token endpoint could not be reached (retryable)
"""

from __future__ import annotations

from qbsync.errors import QbsyncError


class ConnectionError_(QbsyncError):
    code = "connection_error"


class NotConnected(ConnectionError_):
    code = "not_connected"
    status_code = 409
    category = "NOT_CONNECTED"


class NeedsReauth(ConnectionError_):
    code = "needs_reauth"
    status_code = 409
    category = "AUTH"


class OAuthStateInvalid(ConnectionError_):
    code = "oauth_state_invalid"
    status_code = 400


class OAuthDenied(ConnectionError_):
    code = "oauth_denied"
    status_code = 400


class CompanySwitchRefused(ConnectionError_):
    code = "company_switch_refused"
    status_code = 409


class OAuthInvalidGrant(ConnectionError_):
    code = "invalid_grant"
    status_code = 400
    category = "AUTH"


class OAuthRejected(ConnectionError_):
    code = "oauth_rejected"
    status_code = 502
    category = "AUTH"


class OAuthUnavailable(ConnectionError_):
    code = "oauth_unavailable"
    status_code = 503
    retryable = True
    category = "TRANSIENT"
