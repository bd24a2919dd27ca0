"""A simulator of the central platform: the contract (contract/openapi.json) on a real HTTP
server, with SQLite state, realistic seed data and fault switches.

For demos, training and tests. `central_sim.server.start_in_thread()` runs it in-process;
`kiosk sim central --port P --data FILE` runs it as a process.

The demo terminal below is enrolled in every fresh simulator. Its secret is public:
it exists so the demo and the tests can sign requests without an enrollment step.
"""

TIMEZONE = "Asia/Shanghai"  # the hospitals' local time: dates of sessions, "today"

DEMO_TERMINAL_ID = "DEMO-0001"
DEMO_SECRET = b"lobby-kiosk demo terminal secret"  # 32 bytes, public, for the demo only
DEMO_HOSPITAL_ID = "H001"
DEMO_ENROLL_CODE = "ENROLL-DEMO-2026"  # one-time: each fresh simulator accepts it once

# QR tokens of the demo patients (what an electronic health card QR code carries)
DEMO_QR_TOKENS = {
    "P0001": "EHC1:P0001:7K2M9Q",
    "P0002": "EHC1:P0002:4T8W1Z",
    "P0003": "EHC1:P0003:9B3X6R",
    "P0004": "EHC1:P0004:2H5N7J",
}

__all__ = [
    "DEMO_ENROLL_CODE",
    "DEMO_HOSPITAL_ID",
    "DEMO_QR_TOKENS",
    "DEMO_SECRET",
    "DEMO_TERMINAL_ID",
    "TIMEZONE",
]
