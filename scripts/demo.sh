#!/usr/bin/env bash
# The kiosk on its built-in demo: simulated platform, virtual cards, virtual printer.
# With a screen it opens the kiosk and the simulator panel. Without one it runs a
# scripted tour on an offscreen display and saves a screenshot of every step.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
    echo "demo: no screen here; running the scripted tour offscreen (screenshots in var/demo)"
    QT_QPA_PLATFORM=offscreen exec .venv/bin/kiosk demo --tour var/demo "$@"
fi
exec .venv/bin/kiosk demo "$@"
