#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages, then the
# virtual environment. Each step checks first, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the kiosk and its tests need:
#   pcscd + vsmartcard-vpcd  the real PC/SC daemon and the virtual reader driver
#   swig + libpcsclite-dev   to build pyscard when no wheel fits
#   fonts-wqy-microhei       a CJK font, so Chinese renders on screen and in receipt PNGs
#   fonts-hanazono           CJK Extension B (rare name characters such as 𠮷) for receipts
#   xvfb                     a virtual X screen for screenshots and the demo without a display
#   libegl1 … libdbus-1-3    what Qt's offscreen and xcb platform plugins load
APT_PACKAGES=(pcscd vsmartcard-vpcd swig libpcsclite-dev fonts-wqy-microhei fonts-hanazono xvfb
              libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0
              libfontconfig1 libdbus-1-3 libglib2.0-0 make)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [[ $EUID -ne 0 ]]; then
        echo "bootstrap: missing Debian packages: ${missing[*]}; run as root to install them" >&2
        exit 1
    fi
    echo "bootstrap: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# The virtual environment is rebuilt only when the declared dependencies change.
PY=${PYTHON:-python3}
stamp_now=$(cat setup.cfg pyproject.toml | sha256sum | cut -d' ' -f1)
if [[ ! -x .venv/bin/kiosk || "$(cat .venv/.setup-stamp 2>/dev/null)" != "$stamp_now" ]]; then
    echo "bootstrap: preparing the virtual environment in .venv"
    [[ -x .venv/bin/python ]] || "$PY" -m venv .venv
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[test]'
    echo "$stamp_now" > .venv/.setup-stamp
fi
