"""Connection errors.

QbsyncError
└── ConnectionsError
    ├── NotConnected          409  NOT_CONNECTED: the organization has no active connection
    ├── NeedsReauth           409  AUTH: Intuit refused the refresh token; reconnect
    ├── OAuthStateInvalid     400  forged, replayed or expired `state`
    ├── OAuthWrongBrowser     403  the callback came to a browser that did not start the flow
    ├── InvalidRealm          400  a `realmId` that cannot be a QuickBooks company id
    ├── OAuthDenied           400  the user declined consent at Intuit
    ├── CompanySwitchRefused  409  reconnect would move the org to another company
    ├── CompanyConnectedElsewhere 409  the company is another organization's already
    ├── CompanyNotReachable   403  the new grant cannot read that company's CompanyInfo
    ├── OAuthInvalidGrant     400  Intuit answered invalid_grant
    ├── OAuthRejected         502  Intuit's token endpoint refused for another reason
    ├── OAuthUnavailable      503  Intuit's token endpoint could not be reached (retryable)
    └── TokenDecryptionFailed 500  AUTH: no configured key decrypts a stored token
"""

from __future__ import annotations

from qbsync.errors import ErrorCategory, QbsyncError


class ConnectionsError(QbsyncError):
    code = "connection_error"


class NotConnected(ConnectionsError):
    code = "not_connected"
    status_code = 409
    category = ErrorCategory.NOT_CONNECTED


class NeedsReauth(ConnectionsError):
    code = "needs_reauth"
    status_code = 409
    category = ErrorCategory.AUTH


class OAuthStateInvalid(ConnectionsError):
    code = "oauth_state_invalid"
    status_code = 400


class OAuthWrongBrowser(ConnectionsError):
    code = "oauth_wrong_browser"
    status_code = 403


class InvalidRealm(ConnectionsError):
    code = "invalid_realm"
    status_code = 400


class CompanyConnectedElsewhere(ConnectionsError):
    code = "company_connected_elsewhere"
    status_code = 409


class CompanyNotReachable(ConnectionsError):
    code = "company_not_reachable"
    status_code = 403
    category = ErrorCategory.AUTH


class OAuthDenied(ConnectionsError):
    code = "oauth_denied"
    status_code = 400


class CompanySwitchRefused(ConnectionsError):
    code = "company_switch_refused"
    status_code = 409


class OAuthInvalidGrant(ConnectionsError):
    code = "invalid_grant"
    status_code = 400
    category = ErrorCategory.AUTH


class OAuthRejected(ConnectionsError):
    code = "oauth_rejected"
    status_code = 502
    category = ErrorCategory.AUTH


class OAuthUnavailable(ConnectionsError):
    code = "oauth_unavailable"
    status_code = 503
    retryable = True
    category = ErrorCategory.TRANSIENT


class TokenDecryptionFailed(ConnectionsError):
    """A stored token no longer decrypts: every key it could have been sealed with is gone."""

    code = "token_decryption_failed"
    category = ErrorCategory.AUTH
