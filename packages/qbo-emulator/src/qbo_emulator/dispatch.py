"""Routes an Accounting API path (after ``/v3/company/{realmId}/``) to an operation.

Returns the status, body bytes and media type, so the pipeline can store the exact answer
for ``requestid`` replay.
"""

from __future__ import annotations

from dataclasses import dataclass

from qbo_emulator import clock, faults, operations
from qbo_emulator.batch import run_batch
from qbo_emulator.cdc import change_data_capture
from qbo_emulator.entities import currency, tax
from qbo_emulator.entities.base import EntityKind, WriteOptions
from qbo_emulator.entities.invoices import invoice_link
from qbo_emulator.entities.registry import kind_at, kind_named
from qbo_emulator.pdf import invoice_pdf
from qbo_emulator.query.engine import run_query
from qbo_emulator.realm import Realm
from qbo_emulator.wire import JSON_CONTENT_TYPE, JsonObject, WireError, dumps, loads


@dataclass(frozen=True)
class ApiRequest:
    method: str
    segments: tuple[str, ...]
    params: dict[str, str]
    body: bytes
    full_path: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    media_type: str = JSON_CONTENT_TYPE


def _json(body: JsonObject, status: int = 200) -> Answer:
    return Answer(status, dumps({**body, "time": clock.response_time()}))


def _not_supported(request: ApiRequest) -> faults.QboFault:
    return faults.unsupported_operation(
        f"Could not find resource for relative : {request.full_path} of full path: "
        f"{request.full_path}"
    )


def _payload(request: ApiRequest) -> JsonObject:
    try:
        return loads(request.body)
    except WireError as exc:
        raise faults.malformed_body(str(exc)) from None


def _includes(request: ApiRequest) -> set[str]:
    return {part.strip().lower() for part in request.params.get("include", "").split(",") if part}


def _lower_keys(params: dict[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in params.items()}


def _get(realm: Realm, request: ApiRequest) -> Answer:
    segments = request.segments
    if segments == ("query",):
        return _json({"QueryResponse": run_query(realm, request.params.get("query", ""))})
    if segments == ("cdc",):
        params = request.params
        return _json(change_data_capture(realm, params.get("entities"), params.get("changedSince")))
    if segments == ("preferences",):
        return _json({"Preferences": operations.read(realm, _kind("Preferences"), "1")})
    if len(segments) == 2 and segments[0] == "companyinfo":
        if segments[1] != realm.realm_id:
            raise faults.object_not_found()
        return _json({"CompanyInfo": operations.read(realm, _kind("CompanyInfo"), "1")})
    if segments == ("exchangerate",):
        return _json({"ExchangeRate": currency.read_rate(realm, _lower_keys(request.params))})
    kind = kind_at(segments[0]) if segments else None
    if kind is None or kind.name in ("CompanyInfo", "Preferences"):
        raise _not_supported(request)
    if len(segments) == 2:
        found = operations.read(realm, kind, segments[1])
        if kind.name == "Invoice" and "invoicelink" in _includes(request):
            found["InvoiceLink"] = invoice_link(realm, segments[1])
        return _json({kind.name: found})
    if len(segments) == 3 and segments[2] == "pdf" and kind.name == "Invoice":
        invoice = operations.read(realm, kind, segments[1])
        return Answer(200, invoice_pdf(realm.company_name, invoice), "application/pdf")
    raise _not_supported(request)


def _post(realm: Realm, request: ApiRequest) -> Answer:
    segments = request.segments
    include = _includes(request)
    if segments == ("query",):
        # POST /query carries the statement as the body (Content-Type application/text).
        return _json({"QueryResponse": run_query(realm, request.body.decode("utf-8"))})
    if segments == ("batch",):
        batch = run_batch(
            realm, _payload(request), include=include, requestid=request.params.get("requestid")
        )
        return _json(batch)
    if segments == ("taxservice", "taxcode"):
        return _json({"TaxService": tax.create_tax_code(realm, _payload(request))})
    if segments == ("exchangerate",):
        return _json({"ExchangeRate": currency.write_rate(realm, _payload(request))})
    kind = kind_at(segments[0]) if len(segments) == 1 else None
    if kind is None:
        raise _not_supported(request)
    payload = _payload(request)
    operation = operations.post_operation(
        kind, payload, operation=request.params.get("operation"), include=include
    )
    options = WriteOptions(allow_duplicate_doc_number="allowduplicatedocnum" in include)
    result = operations.perform(realm, kind, payload, operation, options)
    return _json({kind.name: result})


def _kind(name: str) -> EntityKind:
    kind = kind_named(name)
    if kind is None:
        raise LookupError(name)
    return kind


def dispatch(realm: Realm, request: ApiRequest) -> Answer:
    """Run the request against ``realm`` (caller holds the realm lock); Faults become answers."""
    try:
        if request.method == "GET":
            return _get(realm, request)
        if request.method == "POST":
            return _post(realm, request)
        raise _not_supported(request)
    except faults.QboFault as fault:
        return Answer(fault.status, dumps(fault.body()))
