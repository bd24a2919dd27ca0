"""Qt screens only: they render the core's state and turn taps into the core's events.

No business rule lives here; nothing here talks to a device or the network.
"""
