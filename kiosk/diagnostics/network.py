"""Network checks against the platform: DNS, TCP, TLS, the signed API round trip, clock skew."""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from drivers.device import HealthLevel, Outcome
from kiosk.diagnostics.registry import DiagContext, Verdict, check, needs_config

CERT_WARN_DAYS = 30


def _endpoint(ctx: DiagContext) -> tuple[str, int, bool]:
    url = urlsplit(ctx.config.central.url)
    https = url.scheme == "https"
    return url.hostname or "", url.port or (443 if https else 80), https


def _ssl_context(ctx: DiagContext) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ctx.config.central.ca_bundle or None)


@check("dns", "network", HealthLevel.INTERNAL, "Name lookup of the platform")
def dns(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    host, _, _ = _endpoint(ctx)
    try:
        ipaddress.ip_address(host)
        return Verdict(Outcome.PASS, f"{host} is an address: no lookup needed")
    except ValueError:
        pass
    try:
        addresses = sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
    except socket.gaierror as exc:
        return Verdict(
            Outcome.FAIL,
            f"cannot look up {host}: {exc.strerror}",
            "check the DNS servers of this terminal (/etc/resolv.conf) and the spelling of "
            "central.url",
        )
    return Verdict(Outcome.PASS, f"{host} is {', '.join(addresses)}")


@check("network", "network", HealthLevel.INTERNAL, "Connection to the platform")
def tcp_connect(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    host, port, _ = _endpoint(ctx)
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=ctx.config.central.connect_timeout_s):
            pass
    except ConnectionRefusedError:
        return Verdict(
            Outcome.FAIL,
            f"{host}:{port} refused the connection",
            "the platform is not listening there: is it running, and is central.url right?",
        )
    except TimeoutError:
        return Verdict(
            Outcome.FAIL,
            f"no answer from {host}:{port}",
            "a firewall or the network drops the traffic: check the cable, Wi-Fi and firewall",
        )
    except OSError as exc:
        return Verdict(
            Outcome.FAIL,
            f"cannot reach {host}:{port}: {exc.strerror or exc}",
            "check the network cable or Wi-Fi, and the route to the platform",
        )
    ms = (time.monotonic() - start) * 1000
    return Verdict(Outcome.PASS, f"connected to {host}:{port} in {ms:.0f} ms")


@check("tls", "network", HealthLevel.INTERNAL, "Secure connection (certificate)")
def tls(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    host, port, https = _endpoint(ctx)
    if not https:
        return Verdict(
            Outcome.SKIPPED,
            "skipped: central.url is plain http (no TLS); use https outside a test set-up",
        )
    bundle = ctx.config.central.ca_bundle
    if bundle and not os.path.isfile(bundle):
        return Verdict(
            Outcome.FAIL,
            f"the CA bundle {bundle} does not exist",
            "copy the platform's CA certificate (PEM) there, or fix central.ca_bundle",
        )
    try:
        context = _ssl_context(ctx)
        timeout = ctx.config.central.connect_timeout_s
        with (
            socket.create_connection((host, port), timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as conn,
        ):
            cert = conn.getpeercert() or {}
            version = conn.version() or ""
    except ssl.SSLCertVerificationError as exc:
        return Verdict(
            Outcome.FAIL,
            f"the platform's certificate is not trusted: {exc.verify_message}",
            "set central.ca_bundle to the PEM of the CA that signed it, or check the terminal's "
            "clock (a wrong date makes valid certificates look expired)",
        )
    except (ssl.SSLError, OSError) as exc:
        return Verdict(
            Outcome.FAIL,
            f"no secure connection to {host}:{port}: {exc}",
            "check that central.url points at the platform's https port",
        )
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), UTC)
    details = {"tls": version, "expires": expires.isoformat()}
    if expires - datetime.now(UTC) < timedelta(days=CERT_WARN_DAYS):
        return Verdict(
            Outcome.WARN,
            f"certificate expires {expires:%Y-%m-%d}",
            "ask the platform operator to renew the certificate",
            details,
        )
    return Verdict(
        Outcome.PASS, f"{version}, certificate valid until {expires:%Y-%m-%d}", details=details
    )


def _credentials(ctx: DiagContext):
    from kiosk.central.secret_store import credentials_for

    return credentials_for(ctx.config.terminal.id, ctx.data_dir)


@check("api", "network", HealthLevel.INTERNAL, "Platform answers (signed request)")
def api_round_trip(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    from kiosk.central import CentralClient, CentralError, Rejected, Timeout, Unreachable

    ctx.memo["api_tried"] = True
    try:
        creds = _credentials(ctx)
    except ModuleNotFoundError:
        return Verdict(Outcome.SKIPPED, "skipped: not available (the terminal secret store)")
    except Exception as exc:
        return Verdict(
            Outcome.FAIL,
            f"no terminal secret: {exc}",
            "enroll the terminal: kiosk enroll --url URL --code CODE",
        )
    central = ctx.config.central
    bundle = central.ca_bundle
    if central.url.startswith("https") and bundle and not os.path.isfile(bundle):
        return Verdict(Outcome.FAIL, f"the CA bundle {bundle} does not exist", "see the tls check")
    # built exactly as the kiosk builds its own client, so a pass here means the kiosk gets in
    client = CentralClient(
        central.url,
        ctx.config.terminal.id,
        creds.secret,
        central.timeout_s,
        central.connect_timeout_s,
        read_attempts=1,
        ca_bundle=central.ca_bundle,
    )
    sent = datetime.now(UTC)
    start = time.monotonic()
    try:
        with client:
            ping = client.ping()
    except Rejected as exc:
        if exc.code == "timestamp_stale":
            return Verdict(
                Outcome.FAIL,
                "the platform refused the request: this terminal's clock is far off",
                "set the clock and enable time sync (timedatectl set-ntp true)",
            )
        return Verdict(
            Outcome.FAIL,
            f"the platform refused this terminal: {exc}",
            "check terminal.id and re-enroll (kiosk enroll) if the secret was revoked",
        )
    except (Unreachable, Timeout) as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "CA bundle" in str(exc):
            cause = "the kiosk does not trust the platform's certificate: see the tls check"
        else:
            cause = (
                "the platform is down or the network drops the traffic: see the network, dns "
                "and tls checks, then the platform's own status"
            )
        return Verdict(Outcome.FAIL, f"no answer from the platform: {exc}", cause)
    except CentralError as exc:
        return Verdict(
            Outcome.FAIL,
            f"the platform did not answer properly: {exc}",
            "see the network, dns and tls checks; then the platform's own status",
        )
    rtt = time.monotonic() - start
    ctx.memo["clock_skew_s"] = (
        ping.server_time - (sent + timedelta(seconds=rtt / 2))
    ).total_seconds()
    details = {"api_version": ping.api_version, "round_trip_ms": f"{rtt * 1000:.0f}"}
    if getattr(creds, "demo", False):
        details["secret"] = "the public demo secret (demo terminal only)"
    return Verdict(
        Outcome.PASS, f"answered in {rtt * 1000:.0f} ms (API {ping.api_version})", details=details
    )


@check("clock", "network", HealthLevel.INTERNAL, "Clock agrees with the platform")
def clock_skew(ctx: DiagContext) -> Verdict:
    if skip := needs_config(ctx):
        return skip
    if "api_tried" not in ctx.memo:
        api_round_trip(ctx)
    skew = ctx.memo.get("clock_skew_s")
    if skew is None:
        return Verdict(Outcome.SKIPPED, "skipped: needs an answer from the platform (api check)")
    limit = ctx.config.diagnostics.max_clock_skew_s
    details = {"skew_s": f"{skew:+.1f}", "limit_s": str(limit)}
    if abs(skew) > limit:
        ahead = "behind" if skew > 0 else "ahead of"
        return Verdict(
            Outcome.FAIL,
            f"this terminal's clock is {abs(skew):.0f} s {ahead} the platform",
            "enable time sync (NTP: timedatectl set-ntp true) or set the clock",
            details,
        )
    return Verdict(Outcome.PASS, f"clock within {abs(skew):.1f} s of the platform", details=details)
