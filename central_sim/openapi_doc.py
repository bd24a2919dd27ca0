"""Turns FastAPI's generated schema into the contract document (contract/openapi.json).

Adds what FastAPI cannot infer: the signature scheme, the one error shape on every
operation (in place of FastAPI's own validation error), examples for the demo
cards, and links between operations (used by schemathesis's stateful tests).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kiosk.central import models, signing

DESCRIPTION = """\
The open contract between a hospital's self-service kiosks and its central platform.
Any platform operator may implement it. Read contract/README.md for the rules this
document cannot express: request signing, idempotency, the order lifecycle and
reconciliation of "charged but not booked".

Money is integer fen with a currency; times are ISO 8601 with an offset; every error
has the shape `ErrorReply`.
"""

ERRORS = {
    "400": "malformed request",
    "401": "signature missing or rejected (auth_missing, terminal_unknown, timestamp_stale, "
    "signature_invalid, body_hash_mismatch, nonce_replayed)",
    "403": "forbidden (enroll_code_invalid)",
    "404": "not found (`<thing>_not_found`, card_not_registered, qr_not_recognised)",
    "405": "method not allowed",
    "409": "refused by a rule (session_full, insufficient_balance, idempotency_key_reused, ...)",
    "413": "body too large",
    "422": "request does not match the contract (invalid_request, invalid_order)",
    "500": "platform fault",
    "503": "platform unavailable: nothing was applied, retry later (retryable)",
}

SECURITY_SCHEMES = {
    name: {"type": "apiKey", "in": "header", "name": header, "description": text}
    for name, header, text in (
        ("terminal", signing.H_TERMINAL, "the terminal id"),
        ("timestamp", signing.H_TIMESTAMP, "Unix seconds; at most 300 s from the platform"),
        ("nonce", signing.H_NONCE, "16-64 of [A-Za-z0-9_-], never reused"),
        ("contentSha256", signing.H_CONTENT, "hex SHA-256 of the body bytes"),
        ("signature", signing.H_SIGNATURE, "hex HMAC-SHA256, see README"),
    )
}

EXAMPLES = {
    "CardLookup": [{"card_type": "pboc", "card_number": "6217000010001234569"}],
    "QrLookup": [{"qr_token": "EHC1:P0001:7K2M9Q"}],
    "OrderRequest": [
        {
            "client_ref": "K0001-20261123-000001",
            "patient_id": "P0003",
            "pay_for": {"purpose": "top_up", "amount_fen": 5000},
            "payment": {"method": "qr"},
        },
        {
            "client_ref": "K0001-20261123-000002",
            "patient_id": "P0001",
            "pay_for": {"purpose": "charges", "charge_ids": ["C00001"]},
            "payment": {"method": "cash", "cash_fen": 10000},
        },
    ],
}

# operation (method, path) -> links from its 200 reply
LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("post", "/v1/orders"): {
        "GetOrder": {
            "operationId": "get_order",
            "parameters": {"order_id": "$response.body#/order_id"},
        },
        "FindOrderByClientRef": {
            "operationId": "find_order_by_client_ref",
            "parameters": {"client_ref": "$response.body#/client_ref"},
        },
        "CancelOrder": {
            "operationId": "cancel_order",
            "parameters": {"order_id": "$response.body#/order_id"},
        },
    },
    ("post", "/v1/patients/lookup-by-card"): {
        "GetBalance": {
            "operationId": "get_balance",
            "parameters": {"patient_id": "$response.body#/patient_id"},
        },
        "ListBookings": {
            "operationId": "list_bookings",
            "parameters": {"patient_id": "$response.body#/patient_id"},
        },
        "ListCharges": {
            "operationId": "list_charges",
            "parameters": {"patient_id": "$response.body#/patient_id"},
        },
    },
    ("get", "/v1/hospitals/{hospital_id}/departments"): {
        "ListDoctors": {
            "operationId": "list_doctors",
            "parameters": {"department_id": "$response.body#/items/0/department_id"},
        },
    },
}


def build_document(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        routes=app.routes,
    )
    schemas = doc["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["ErrorReply"] = models.ErrorReply.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for name, examples in EXAMPLES.items():
        schemas[name]["examples"] = examples
    doc["components"]["securitySchemes"] = SECURITY_SCHEMES
    doc["security"] = [{key: [] for key in SECURITY_SCHEMES}]
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorReply"}}}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status, text in ERRORS.items():
                responses[status] = {"description": text, "content": error}
            if path == "/v1/enrollments":
                operation["security"] = []
            links = LINKS.get((method, path))
            if links:
                responses["200"]["links"] = links
    return doc


def customise_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def contract_document() -> dict[str, Any]:
    """The contract as the simulator serves it (an in-memory simulator, no server)."""
    from central_sim.app import create_app
    from central_sim.faults import Faults
    from central_sim.store import Store

    store = Store(None)
    try:
        return create_app(store, Faults()).openapi()
    finally:
        store.close()


def main() -> None:
    """`python -m central_sim.openapi_doc [FILE]`: write the contract (default: stdout)."""
    import json
    import sys

    text = json.dumps(contract_document(), ensure_ascii=False, indent=2) + "\n"
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
