"""Metering and service payloads in the exact shapes the real services write (real-clients §2.3)."""

from __future__ import annotations

# The shape sketch from real-clients §2.3, filled in: Jackson with nulls included, instants
# as Instant.toString (no fraction when zero, else 3 or 6 digits), DECIMAL(19,2) amounts.
INVOICE_42 = b"""{"id":42,"organizationId":9,"customerId":9,"subscriptionId":17,"ratePlanId":5,
"invoiceNumber":"INV-MK2J4Z1A9X","totalAmount":210.00,"modelType":"MONTHLY",
"billingPeriodStart":"2026-01-05T10:00:00Z","billingPeriodEnd":"2026-01-05T10:10:00.123456Z",
"status":"DRAFT","notes":null,"createdAt":"2026-01-05T10:10:00.123Z",
"updatedAt":"2026-01-05T10:10:00.123456789Z","lineItems":[
{"id":3,"lineNumber":3,"description":"Discount (10%)","calculation":"200.00 * 10%","amount":-20.00,"quantity":null,"unitPrice":null},
{"id":1,"lineNumber":1,"description":"Flat Fee","calculation":"Base","amount":200.00,"quantity":null,"unitPrice":null},
{"id":4,"lineNumber":4,"description":"Freemium Credit","calculation":null,"amount":0.00,"quantity":null,"unitPrice":null},
{"id":2,"lineNumber":2,"description":"Overage Charges","calculation":"60 * 0.5","amount":30.00,"quantity":null,"unitPrice":null}
]}"""

# A second invoice with a value no float can hold exactly and a status outside the known enum.
INVOICE_43 = b"""{"id":43,"organizationId":9,"customerId":11,"subscriptionId":null,"ratePlanId":null,
"invoiceNumber":"INV-MK2J4Z1B00","totalAmount":0.30,"modelType":null,
"billingPeriodStart":"2026-02-01T00:00:00Z","billingPeriodEnd":"2026-02-28T23:59:59Z",
"status":"FINALIZED","notes":"hand-made","createdAt":"2026-02-28T23:59:59.9Z",
"updatedAt":"2026-02-28T23:59:59Z","lineItems":[
{"id":9,"lineNumber":1,"description":"Usage Charges","calculation":"3 * 0.1","amount":0.30,"quantity":null,"unitPrice":null}
]}"""

INVOICE_PAGE = b'{"invoices":[' + INVOICE_43 + b"," + INVOICE_42 + b'],"numberOfInvoices":2}'
INVOICE_BARE_LIST = b"[" + INVOICE_43 + b"," + INVOICE_42 + b"]"

CUSTOMER_7 = {
    "customerId": 7,
    "customerName": 'Zoë "ZZ": Café',
    "companyName": "Café GmbH",
    "companyType": "BUSINESS",
    "primaryEmail": "zoe@cafe.example",
    "phoneNumber": "+49 711 000",
    "status": "ACTIVE",
    "customerAddressLine1": "Königstraße 7",
    "customerAddressLine2": None,
    "customerCity": "Stuttgart",
    "customerState": None,
    "customerPostalCode": "70173",
    "customerCountry": "DE",
    "billingSameAsCustomer": False,
    "billingAddressLine1": "Postfach 1",
    "billingAddressLine2": None,
    "billingCity": "Berlin",
    "billingState": None,
    "billingPostalCode": "10115",
    "billingCountry": "DE",
    "additionalEmailRecipients": ["cfo@cafe.example"],
    "createdOn": "2026-01-02T09:00:00",
    "companyLogoUrl": None,
    "somethingNew": {"nested": True},
}

RATE_PLAN_5 = {
    "ratePlanId": 5,
    "ratePlanCode": "PRO-M",
    "ratePlanName": "Pro Monthly",
    "description": None,
    "billingFrequency": "MONTHLY",
    "productId": 11,
    "productName": "API Gateway",
    "icon": None,
    "paymentType": "POSTPAID",
    "billableMetricId": 3,
    "status": "ACTIVE",
    "createdOn": "2026-01-02T09:00:00.123456",
    "lastUpdated": [2026, 1, 2, 9, 0],
    "flatFee": {"flatFeeAmount": 200.0},
}
