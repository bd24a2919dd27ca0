"""Fixtures of the central platform: a real simulator over HTTP on 127.0.0.1, and a client.

- `central_sim`: a fresh simulator per test (own temp SQLite file, free port), stopped after.
- `central_client`: a CentralClient of the demo terminal, pointed at `central_sim`.
- `central_sim_shared` / `central_client_shared`: one simulator for the whole session, for
  tests that only read (do not change its state or its fault switches).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def central_sim(tmp_path) -> Iterator:
    from central_sim.server import start_in_thread

    handle = start_in_thread(port=0, data_path=tmp_path / "central.sqlite3")
    yield handle
    handle.stop()


@pytest.fixture
def central_client(central_sim) -> Iterator:
    from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
    from kiosk.central.client import CentralClient

    client = CentralClient(central_sim.url, DEMO_TERMINAL_ID, DEMO_SECRET, timeout_s=5.0)
    yield client
    client.close()


@pytest.fixture(scope="session")
def central_sim_shared(tmp_path_factory) -> Iterator:
    from central_sim.server import start_in_thread

    handle = start_in_thread(data_path=tmp_path_factory.mktemp("central") / "shared.sqlite3")
    yield handle
    handle.stop()


@pytest.fixture
def central_client_shared(central_sim_shared) -> Iterator:
    from central_sim import DEMO_SECRET, DEMO_TERMINAL_ID
    from kiosk.central.client import CentralClient

    client = CentralClient(central_sim_shared.url, DEMO_TERMINAL_ID, DEMO_SECRET)
    yield client
    client.close()
