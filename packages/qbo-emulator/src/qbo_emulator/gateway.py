"""Answers from Intuit's API gateway, which are shaped unlike data-service Faults.

The gateway (auth, cluster routing, throttling) uses a lower-case ``fault``/``error``
envelope with epoch-millisecond ``time`` (fixture error_401.yml), and answers 429 with an
XML ``IntuitResponse`` even when JSON was asked for (py-qb #43, PHP SDK #54).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from starlette.responses import Response

from qbo_emulator import clock
from qbo_emulator.config import ThrottleBody
from qbo_emulator.wire import JsonObject, json_response

THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
THROTTLE_DETAIL = "The request limit was reached.  Try again later"


def gateway_body(*, code: str, message: str, detail: str, fault_type: str) -> JsonObject:
    """The full lower-case envelope, null members included, exactly as recorded."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [{"message": message, "detail": detail, "code": code, "element": None}],
            "type": fault_type,
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": clock.epoch_millis(),
        "status": None,
        "cdcresponse": [],
    }


def authentication_failed(detail: str) -> Response:
    """401 / 3200: a missing, malformed, expired or revoked bearer token."""
    body = gateway_body(
        code="3200",
        message="message=AuthenticationFailed; errorCode=003200; statusCode=401",
        detail=detail,
        fault_type="AUTHENTICATION",
    )
    return json_response(
        body, 401, headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
    )


def wrong_cluster(realm_id: str) -> Response:
    """401 / 130: a sandbox realm called on the production host or the other way round.

    QBO has answered this as 130 (py-qb #369), 3100/403 and 007001; the emulator uses 130.
    """
    body = gateway_body(
        code="130",
        message="message=AccessingWrongCluster; errorCode=000130; statusCode=401",
        detail=f"Accessing Wrong Cluster: company {realm_id} does not live on this cluster",
        fault_type="AUTHENTICATION",
    )
    return json_response(
        body, 401, headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
    )


def throttled(kind: ThrottleBody) -> Response:
    """429 / 3001 ThrottleExceeded, as XML (QBO's habit) or the lower-case JSON envelope."""
    if kind == "json":
        body = gateway_body(
            code="3001", message=THROTTLE_MESSAGE, detail=THROTTLE_DETAIL, fault_type="SERVICE"
        )
        return json_response(body, 429)
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{clock.response_time()}">'
        '<Fault type="SERVICE"><Error code="3001">'
        f"<Message>{escape(THROTTLE_MESSAGE)}</Message><Detail>{escape(THROTTLE_DETAIL)}</Detail>"
        "</Error></Fault></IntuitResponse>"
    )
    return Response(xml, status_code=429, media_type="application/xml")


def service_unavailable() -> Response:
    """503 from the load balancer: an HTML page, not JSON, as real gateways send."""
    html = (
        "<html><head><title>503 Service Unavailable</title></head><body>"
        "<h1>503 Service Unavailable</h1><p>No server is available to handle this request.</p>"
        "</body></html>"
    )
    return Response(html, status_code=503, media_type="text/html")
