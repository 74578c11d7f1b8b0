"""What people write instead of qbsync: one sequential loop, one record at a time, straight
against the QBO REST API, sleeping a second and trying again when told 429.

It reads the same records the stubs hold (handed over in memory: the loop's cost of reading
Aforo is not counted, which flatters it), creates every customer, then every invoice, in
fresh companies of the same emulator with the same limits. No lookups before creating, no
requestid, no log: a retried write after a lost answer would create a duplicate.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
from pydantic import BaseModel

from bench.stack import Stack
from bench.workload import OrgData
from qbo_emulator.aforo.schemas import to_json

MAX_TRIES = 120  # per record: 429s answered by a 1 s sleep, so at most two minutes each


class BaselineRun(BaseModel):
    records: int
    created: int
    failed: int
    seconds: float
    records_per_s: float
    requests: int
    throttled_429: int


@dataclass
class _Counts:
    requests: int = 0
    throttled: int = 0
    failed: int = 0


async def _create(
    http: httpx.AsyncClient, url: str, token: str, body: object, counts: _Counts
) -> str | None:
    for _ in range(MAX_TRIES):
        counts.requests += 1
        response = await http.post(
            url,
            params={"minorversion": "75"},
            # Exact decimal numbers in the JSON (money is never a float).
            content=to_json(body),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )
        if response.status_code == 429:
            counts.throttled += 1
            await asyncio.sleep(1.0)
            continue
        if response.status_code != 200:
            counts.failed += 1
            return None
        document = response.json()
        entity = next(iter(v for k, v in document.items() if k != "time"))
        return str(entity["Id"])
    counts.failed += 1
    return None


async def run_baseline(stack: Stack, data: list[OrgData]) -> BaselineRun:
    """Fresh realms (one per organization of ``data``), then the loop over all of them."""
    targets: list[tuple[str, str, OrgData]] = []
    for org_data in data:
        realm = await stack.emulator.create_realm(company_name="Baseline Co")
        tokens = await stack.emulator.issue_tokens(realm.realm_id)
        targets.append((realm.realm_id, tokens.access_token, org_data))
    counts = _Counts()
    created = 0
    records = 0
    async with httpx.AsyncClient(timeout=30.0) as http:
        started = time.perf_counter()
        for realm_id, token, org_data in targets:
            base = f"{stack.emulator_url}/sandbox/v3/company/{realm_id}"
            customer_ids: dict[int, str] = {}
            for customer in org_data.customers:
                records += 1
                body: dict[str, object] = {
                    "DisplayName": customer.customer_name,
                    "PrimaryEmailAddr": {"Address": customer.primary_email},
                }
                qbo_id = await _create(http, f"{base}/customer", token, body, counts)
                if qbo_id is not None:
                    customer_ids[customer.customer_id] = qbo_id
                    created += 1
            for invoice in org_data.invoices:
                records += 1
                customer_ref = customer_ids.get(invoice.customer_id)
                if customer_ref is None:
                    counts.failed += 1
                    continue
                lines = [
                    {
                        "Amount": line.amount,
                        "Description": line.description,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                    for line in invoice.line_items
                ]
                body = {
                    "DocNumber": invoice.invoice_number,
                    "CustomerRef": {"value": customer_ref},
                    "Line": lines,
                }
                if await _create(http, f"{base}/invoice", token, body, counts) is not None:
                    created += 1
        seconds = time.perf_counter() - started
    return BaselineRun(
        records=records,
        created=created,
        failed=counts.failed,
        seconds=round(seconds, 2),
        records_per_s=round(created / seconds, 3) if seconds > 0 else 0.0,
        requests=counts.requests,
        throttled_429=counts.throttled,
    )
