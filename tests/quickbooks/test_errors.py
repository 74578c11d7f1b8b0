"""parse_fault: every shape QBO answers errors in becomes the right class of our tree."""

from __future__ import annotations

import json

import pytest

from qbsync.errors import QbsyncError
from qbsync.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksDuplicateDocNumber,
    QuickBooksDuplicateName,
    QuickBooksError,
    QuickBooksNotFound,
    QuickBooksStaleObject,
    QuickBooksThrottled,
    QuickBooksUnavailable,
    QuickBooksValidationError,
    error_from_fault,
    normalize_code,
    parse_fault,
)
from qbsync.quickbooks.schemas.fault import Fault

from .conftest import fault

TID = {"intuit_tid": "1-5f7349e0-0fd2bee86a8a83c67a77fbb2"}

XML_THROTTLE = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2016-09-15T06:27:07.405-07:00">
  <Fault type="SERVICE">
    <Error code="3001">
      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
      <Detail>The request limit was reached.  Try again later</Detail>
    </Error>
  </Fault>
</IntuitResponse>"""

LOWER_CASE_401 = {
    "warnings": None,
    "intuitObject": None,
    "fault": {
        "error": [
            {
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": "Token expired: AB01…",
                "code": "3200",
                "element": None,
            }
        ],
        "type": "AUTHENTICATION",
    },
    "time": 1601391072830,
}


def _body(payload: object) -> bytes:
    return json.dumps(payload).encode()


class TestParseFault:
    def test_success_without_fault_is_none(self) -> None:
        assert parse_fault(200, {}, b'{"Customer":{"Id":"1"}}') is None
        assert parse_fault(200, {}, b"%PDF-1.4 ...") is None

    def test_duplicate_name(self) -> None:
        body = _body(fault("6240", "Duplicate Name Exists Error", detail="The name supplied…"))
        error = parse_fault(400, TID, body)
        assert isinstance(error, QuickBooksDuplicateName)
        assert (error.fault_code, error.message, error.detail) == (
            "6240",
            "Duplicate Name Exists Error",
            "The name supplied…",
        )
        assert error.intuit_tid == TID["intuit_tid"]
        assert error.http_status == 400
        assert error.fault_type == "ValidationFault"
        assert not error.retryable

    @pytest.mark.parametrize(
        ("code", "cls"),
        [
            ("5010", QuickBooksStaleObject),
            ("6240", QuickBooksDuplicateName),
            ("6140", QuickBooksDuplicateDocNumber),
            ("610", QuickBooksNotFound),
            ("2050", QuickBooksValidationError),
            ("6000", QuickBooksValidationError),
            ("4000", QuickBooksValidationError),
            ("500", QuickBooksValidationError),
        ],
    )
    def test_codes_map_to_classes(self, code: str, cls: type[QuickBooksError]) -> None:
        error = parse_fault(400, {}, _body(fault(code, "x", element="DocNumber")))
        assert type(error) is cls
        assert error.fault_code == code
        assert error.element == "DocNumber"
        assert not error.retryable

    def test_fault_inside_200(self) -> None:
        error = parse_fault(200, TID, _body(fault("6140", "Duplicate Document Number Error")))
        assert isinstance(error, QuickBooksDuplicateDocNumber)
        assert error.http_status == 200

    def test_lower_case_gateway_envelope(self) -> None:
        error = parse_fault(401, TID, _body(LOWER_CASE_401))
        assert isinstance(error, QuickBooksAuthError)
        assert error.is_token_problem
        assert error.fault_code == "3200"
        assert error.detail == "Token expired: AB01…"
        assert error.fault_type == "AUTHENTICATION"
        assert error.category == "AUTH"
        assert not error.retryable

    def test_keys_are_case_insensitive(self) -> None:
        body = _body({"FAULT": {"ERROR": {"MESSAGE": "Stale", "CODE": 5010}, "Type": "x"}})
        error = parse_fault(400, {}, body)
        assert isinstance(error, QuickBooksStaleObject)
        assert error.message == "Stale"

    def test_xml_throttle_with_retry_after(self) -> None:
        error = parse_fault(429, {"Retry-After": "7", **TID}, XML_THROTTLE)
        assert isinstance(error, QuickBooksThrottled)
        assert error.fault_code == "3001"
        assert error.retry_after_s == 7.0
        assert error.detail == "The request limit was reached.  Try again later"
        assert error.fault_type == "SERVICE"
        assert error.retryable
        assert error.category == "TRANSIENT"
        assert error.intuit_tid == TID["intuit_tid"]

    def test_code_read_from_gateway_message(self) -> None:
        body = _body({"fault": {"error": [{"message": "errorCode=003001; statusCode=429"}]}})
        error = parse_fault(400, {}, body)
        assert isinstance(error, QuickBooksThrottled)
        assert error.fault_code == "3001"
        assert error.retry_after_s is None

    def test_html_502_is_unavailable(self) -> None:
        body = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
        error = parse_fault(502, {}, body)
        assert isinstance(error, QuickBooksUnavailable)
        assert error.retryable
        assert error.fault_code is None
        assert "502" in error.message

    @pytest.mark.parametrize("body", [b"", b"\x00\xff garbage", b"<not-closed", b"[1,2"])
    def test_garbage_bodies_fall_back_to_status(self, body: bytes) -> None:
        assert isinstance(parse_fault(503, {}, body), QuickBooksUnavailable)
        assert isinstance(parse_fault(400, {}, body), QuickBooksValidationError)
        assert isinstance(parse_fault(429, {}, body), QuickBooksThrottled)
        assert isinstance(parse_fault(401, {}, body), QuickBooksAuthError)

    def test_system_fault_is_retryable_even_in_a_400(self) -> None:
        body = _body(fault("10000", "An application error has occurred"))
        assert isinstance(parse_fault(400, {}, body), QuickBooksUnavailable)
        assert isinstance(parse_fault(500, {}, body), QuickBooksUnavailable)

    @pytest.mark.parametrize(
        ("status", "code"),
        [(403, "3100"), (401, "130"), (403, "120"), (401, "100"), (400, "110")],
    )
    def test_auth_that_a_refresh_cannot_fix(self, status: int, code: str) -> None:
        error = parse_fault(status, {}, _body(fault(code, "AuthorizationFailed")))
        assert isinstance(error, QuickBooksAuthError)
        assert not error.is_token_problem

    def test_403_without_body_is_auth_but_not_token(self) -> None:
        error = parse_fault(403, {}, b"")
        assert isinstance(error, QuickBooksAuthError)
        assert not error.is_token_problem

    def test_several_errors_the_meaningful_one_decides(self) -> None:
        body = _body(
            {
                "Fault": {
                    "Error": [
                        {"Message": "String length", "code": "2050", "element": "DisplayName"},
                        {"Message": "Duplicate Name Exists Error", "code": "6240"},
                    ],
                    "type": "ValidationFault",
                }
            }
        )
        error = parse_fault(400, {}, body)
        assert isinstance(error, QuickBooksDuplicateName)
        assert [e.code for e in error.errors] == ["2050", "6240"]

    def test_several_validation_errors_keep_the_first(self) -> None:
        body = _body(
            {
                "Fault": {
                    "Error": [{"Message": "A", "code": "2050"}, {"Message": "B", "code": "2020"}]
                }
            }
        )
        error = parse_fault(400, {}, body)
        assert isinstance(error, QuickBooksValidationError)
        assert (error.message, error.fault_code, len(error.errors)) == ("A", "2050", 2)

    def test_retry_after_as_http_date_in_the_past(self) -> None:
        headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
        error = parse_fault(429, headers, b"")
        assert isinstance(error, QuickBooksThrottled)
        assert error.retry_after_s == 0.0


class TestTree:
    @pytest.mark.parametrize(
        ("cls", "status", "retryable", "category"),
        [
            (QuickBooksError, 502, False, "PERMANENT"),
            (QuickBooksThrottled, 503, True, "TRANSIENT"),
            (QuickBooksUnavailable, 503, True, "TRANSIENT"),
            (QuickBooksAuthError, 409, False, "AUTH"),
            (QuickBooksStaleObject, 409, False, "PERMANENT"),
            (QuickBooksDuplicateName, 409, False, "PERMANENT"),
            (QuickBooksDuplicateDocNumber, 409, False, "PERMANENT"),
            (QuickBooksNotFound, 422, False, "DEPENDENCY"),
            (QuickBooksValidationError, 422, False, "PERMANENT"),
        ],
    )
    def test_class_attributes(
        self, cls: type[QuickBooksError], status: int, retryable: bool, category: str
    ) -> None:
        assert issubclass(cls, QbsyncError)
        assert (cls.status_code, cls.retryable, cls.category) == (status, retryable, category)
        assert cls.code.startswith("quickbooks_")

    def test_codes_are_unique(self) -> None:
        classes: list[type[QuickBooksError]] = [QuickBooksError, *QuickBooksError.__subclasses__()]
        assert len({cls.code for cls in classes}) == len(classes)

    def test_batch_item_fault_has_no_status(self) -> None:
        item_fault = Fault.model_validate(
            {"Error": [{"Message": "Object Not Found", "code": "610"}]}
        )
        error = error_from_fault(item_fault, status=None)
        assert isinstance(error, QuickBooksNotFound)
        assert error.http_status is None

    def test_str_names_code_and_element(self) -> None:
        error = QuickBooksValidationError(
            "String length", fault_code="2050", element="DocNumber", detail="Max:21"
        )
        assert str(error) == "String length code=2050 element=DocNumber detail=Max:21"

    @pytest.mark.parametrize(
        ("raw", "normal"), [("003001", "3001"), (" 6240 ", "6240"), ("", None), (None, None)]
    )
    def test_normalize_code(self, raw: str | None, normal: str | None) -> None:
        assert normalize_code(raw) == normal
