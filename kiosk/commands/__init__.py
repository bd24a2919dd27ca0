def serial_device_config(config_path: str | None, section: str, port: str | None, label: str):
    """(config section, port to open) of a serial device, or None after printing why not.

    `port` from the command line wins over `devices.<section>.port` in the config.
    """
    from kiosk.config import ConfigError, load_config

    try:
        cfg = getattr(load_config(config_path).devices, section)
    except ConfigError as exc:
        print(f"error: {exc}")
        return None
    chosen = port or cfg.port
    if not chosen:
        print(f"error: no {label} port: set devices.{section}.port or pass --port")
        return None
    return cfg, chosen
