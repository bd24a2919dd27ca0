"""The kiosk's side of the central platform: contract models, signed client, typed errors.

Public interface: `CentralClient` (client.py), the errors (errors.py), the models
(models.py) and the terminal secret store (secret_store.py).
"""

from kiosk.central.client import CentralClient, new_idempotency_key, order_idempotency_key
from kiosk.central.errors import (
    CentralError,
    MalformedReply,
    Rejected,
    ServerFault,
    Timeout,
    Unreachable,
)

__all__ = [
    "CentralClient",
    "CentralError",
    "MalformedReply",
    "Rejected",
    "ServerFault",
    "Timeout",
    "Unreachable",
    "new_idempotency_key",
    "order_idempotency_key",
]
