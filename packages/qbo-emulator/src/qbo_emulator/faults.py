"""Data-service Faults: the ``QboFault`` exception, QBO's error catalogue, and its JSON body.

Each constructor reproduces the Message/Detail QBO sends for that code (recorded fixtures and
Intuit's error-code list, see shared/reference/quickbooks-api.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from qbo_emulator import clock
from qbo_emulator.wire import JsonObject


@dataclass(frozen=True)
class FaultError:
    code: str
    message: str
    detail: str
    element: str = ""


class QboFault(Exception):
    """A request QBO refuses; rendered as ``{"Fault": {...}, "time": ...}``."""

    def __init__(
        self, *errors: FaultError, status: int = 400, fault_type: str = "ValidationFault"
    ) -> None:
        super().__init__("; ".join(f"{error.code} {error.message}" for error in errors))
        self.errors = errors
        self.status = status
        self.fault_type = fault_type

    @property
    def code(self) -> str:
        return self.errors[0].code

    def fault_object(self) -> JsonObject:
        return {
            "Error": [
                {
                    "Message": error.message,
                    "Detail": error.detail,
                    "code": error.code,
                    "element": error.element,
                }
                for error in self.errors
            ],
            "type": self.fault_type,
        }

    def body(self) -> JsonObject:
        return {"Fault": self.fault_object(), "time": clock.response_time()}


def _fault(code: str, message: str, detail: str, element: str = "") -> QboFault:
    return QboFault(FaultError(code, message, detail, element))


def stale_object() -> QboFault:
    return _fault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and Emulated Admin were working on this at the same time. "
        "Emulated Admin finished before you did, so your work was not saved.",
    )


def object_not_found(element: str = "") -> QboFault:
    return _fault(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.",
        element,
    )


def duplicate_name(kind: str = "customer, vendor or employee") -> QboFault:
    return _fault(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Another {kind} is already using this name. "
        "Please use a different name.",
    )


def duplicate_doc_number(doc_number: str, *, txn_type: str, txn_id: str) -> QboFault:
    return _fault(
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number "
        f"has already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
        f"with TxnId={txn_id}",
    )


def amount_mismatch(amount: Decimal) -> QboFault:
    return _fault(
        "6070",
        "Amount is not equal to UnitPrice * Qty",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
        "Line.Amount",
    )


def negative_amount(element: str = "Line.Amount") -> QboFault:
    return _fault(
        "2290",
        "Negative amount not supported",
        "Negative amount not supported : Amount cannot be negative.",
        element,
    )


def unsupported_property(name: str, entity: str) -> QboFault:
    return _fault(
        "2010",
        "Request has invalid or unsupported property",
        f'Property Name:Unrecognized field "{name}" (class com.intuit.schema.finance.v3.'
        f"{entity}), not marked as ignorable specified is unsupported or invalid",
    )


def malformed_body(reason: str) -> QboFault:
    return _fault(
        "2010",
        "Request has invalid or unsupported property",
        f"Property Name:Can not parse request body: {reason} specified is unsupported or invalid",
    )


def string_length(element: str, *, maximum: int, supplied: int) -> QboFault:
    return _fault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        "String length specified does not match the supported length. "
        f"Min:0 Max:{maximum} supported. Supplied length:{supplied}",
        element,
    )


def invalid_string(element: str) -> QboFault:
    return _fault(
        "2040",
        "Invalid String",
        f"String contains invalid characters : {element} cannot contain a colon (:), "
        "a tab or a new line.",
        element,
    )


def required_param(element: str) -> QboFault:
    return _fault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_id(value: str) -> QboFault:
    return _fault(
        "2030", "Invalid ID", f"Id should be a valid number. Supplied value:{value}", "Id"
    )


def invalid_number(element: str, value: object) -> QboFault:
    return _fault(
        "2090", "Invalid Number", f"Invalid Number : {element} has invalid value {value}", element
    )


def invalid_enumeration(element: str, value: object) -> QboFault:
    return _fault(
        "2170",
        "Invalid Enumeration",
        f"Invalid Enumeration : {value} is not a valid value for {element}",
        element,
    )


def unsupported_operation(detail: str) -> QboFault:
    return _fault("500", "Unsupported Operation", f"Operation {detail} is not supported.")


def business_validation(detail: str, element: str = "") -> QboFault:
    return _fault(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element,
    )


REQUEST_ID_MAX = 50


def request_id_too_long(request_id: str) -> QboFault:
    """QBO's words (intuit/QuickBooks-V3-Java-SDK#180); in a batch ``request_id`` is the
    requestid followed by the item's bId."""
    return business_validation(
        f"You cannot enter more than {REQUEST_ID_MAX} characters in the request_id field. "
        f"You tried entering {request_id[:10]}..., which is {len(request_id)} characters."
    )


def open_balance() -> QboFault:
    return _fault(
        "6220",
        "Delete Entity Has Balance Error",
        "Delete Entity Has Balance Error : You can't make this inactive because it has an open "
        "balance. Settle the balance first.",
    )


def no_name_provided() -> QboFault:
    return _fault(
        "6080",
        "No name provided",
        "No name provided : Please provide at least one of: Title, GivenName, MiddleName, "
        "FamilyName, Suffix, or DisplayName.",
    )


def invalid_account_type(element: str) -> QboFault:
    return _fault(
        "6430",
        "Invalid account type used",
        "Invalid account type : You need to select a different type of account for this "
        "transaction.",
        element,
    )


def line_needs_item() -> QboFault:
    return _fault(
        "6440",
        "Transaction line without an item or account",
        "Transaction line without an item or account : Every line with an amount needs a "
        "product or service.",
        "Line.SalesItemLineDetail.ItemRef",
    )


def invalid_line_tax_code(value: object) -> QboFault:
    return _fault(
        "6100",
        "Invalid line TaxCode",
        f"Invalid line TaxCode : {value} is not a valid tax code for this company. "
        "Use TAX or NON (US) or the Id of a TaxCode.",
        "Line.SalesItemLineDetail.TaxCodeRef",
    )


def deposited_transaction() -> QboFault:
    return _fault(
        "6540",
        "Deposited Transaction cannot be changed",
        "Deposited Transaction cannot be changed : This transaction has been deposited. "
        "If you want to change or delete it, you must edit the deposit it appears on and "
        "remove it first.",
    )


def batch_too_large(size: int) -> QboFault:
    return _fault(
        "1040",
        "Batch size exceeds allowed limit",
        f"Batch size exceeds allowed limit : {size} items supplied, the maximum is 30.",
    )


def query_parse(detail: str) -> QboFault:
    return _fault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_invalid(detail: str) -> QboFault:
    return _fault("4001", "Invalid query", f"QueryValidationError: {detail}")


def system_failure() -> QboFault:
    return QboFault(
        FaultError(
            "10000",
            "An application error has occurred while processing your request",
            "System Failure Error: An unexpected error occurred while accessing or saving your "
            "data. Please wait a few minutes and try again. If the problem persists, contact "
            "customer support.",
        ),
        status=500,
        fault_type="SystemFault",
    )
