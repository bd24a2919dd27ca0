"""Hardware drivers. Knows devices and nothing of the kiosk (no import of kiosk/ or ui/)."""
