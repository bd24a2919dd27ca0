"""System checks: the config itself and the disk the data lives on."""

from __future__ import annotations

import shutil

from drivers.device import HealthLevel, Outcome
from kiosk.diagnostics.registry import DiagContext, Verdict, check, needs_config


@check("config", "system", HealthLevel.INTERNAL, "Configuration file")
def config_valid(ctx: DiagContext) -> Verdict:
    where = str(ctx.config_path) if ctx.config_path else "defaults only (no terminal file)"
    if ctx.config_error is not None:
        problems = "; ".join(str(p) for p in ctx.config_error.problems)
        return Verdict(
            Outcome.FAIL,
            f"the config does not load: {problems}",
            "fix the keys named above (`kiosk config validate FILE`, `kiosk config set KEY VALUE`)",
            {"file": where},
        )
    return Verdict(Outcome.PASS, "the config is valid", details={"file": where})


@check("disk", "system", HealthLevel.INTERNAL, "Free disk space")
def disk_space(ctx: DiagContext) -> Verdict:
    if (skip := needs_config(ctx)) or ctx.data_dir is None:
        return skip or Verdict(Outcome.SKIPPED, "skipped: no data dir")
    usage = shutil.disk_usage(ctx.data_dir)
    free_mb = usage.free // 2**20
    minimum = ctx.config.diagnostics.min_free_disk_mb
    details = {"data_dir": str(ctx.data_dir), "free_mb": str(free_mb), "minimum_mb": str(minimum)}
    if free_mb < minimum:
        return Verdict(
            Outcome.FAIL,
            f"only {free_mb} MB free where the kiosk keeps its data",
            f"free space on {ctx.data_dir}'s disk (at least {minimum} MB): old logs, "
            "then receipts in the data dir",
            details,
        )
    if free_mb < 2 * minimum:
        return Verdict(
            Outcome.WARN,
            f"{free_mb} MB free, close to the {minimum} MB minimum",
            "plan a clean-up of old logs before it runs out",
            details,
        )
    return Verdict(Outcome.PASS, f"{free_mb} MB free", details=details)
