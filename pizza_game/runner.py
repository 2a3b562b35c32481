"""Run the whole pipeline for a time range through Dagster: the main job of the CLI and of Lambda.

A range is two Dagster runs whatever its length (see automation.py): the order hours, then the
match days with everything downstream. Both run in this process, against the same asset
definitions the Dagster UI shows.
"""

from __future__ import annotations

import contextlib
import gc
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime

import dagster as dg
import pandas as pd

from pizza_game.analysis.summary import rejected_text
from pizza_game.automation import ANALYSIS_STAGE_TAG, IN_PROCESS, days_after_orders
from pizza_game.instance import default_instance
from pizza_game.partition_keys import RANGE_END, RANGE_START, day_range, hour_range
from pizza_game.partitions import daily_partitions, hourly_partitions, refusal
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.storage.written_raw import keeping_written_raw


class PipelineError(RuntimeError):
    """A run of the pipeline failed; the message says which stage and why, ``run_id`` which run."""

    def __init__(self, message: str, run_id: str | None = None) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass
class PipelineSummary:
    """What a pipeline run did, in numbers and in plain words."""

    start: str
    end: str
    hours: int
    days: int
    run_ids: list[str]
    orders: int = 0
    orders_real_share: float = 0.0
    matches: int = 0
    matches_real_share: float = 0.0
    matches_used: int = 0
    matches_unused: dict[str, int] = field(default_factory=dict)
    # Rows rejected on input in the analysis horizon, per raw asset and reason (rejected_rows).
    rejected: dict = field(default_factory=dict)
    headline: str = ""
    findings: list[str] = field(default_factory=list)
    # Anomalies in words (summary.anomaly_lines): flagged per scale, the most significant, not tested.
    anomalies: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    report: str = ""
    seconds: float = 0.0
    # For the Lambda's metrics (pizza_game/metrics.py): the headline window's lift (a share), the
    # QuickSight refresh status, and per raw asset the reasons its partitions were generated.
    headline_lift: float | None = None
    quicksight_refresh: str = ""
    fallback_reasons: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        lines = [
            f"Processed {self.start} to {self.end}: {self.orders:,} orders "
            f"({self.orders_real_share:.0%} real) and {self.matches:,} matches "
            f"({self.matches_real_share:.0%} real); {self.matches_used:,} of the {self.matches:,} "
            "matches are used in the tests.",
        ]
        if self.matches_unused:
            lines.append(
                "Matches not used: "
                + "; ".join(f"{count} {reason}" for reason, count in self.matches_unused.items())
                + "."
            )
        if self.rejected:
            lines.append(
                "Rows rejected on input in the analysis horizon (kept with their reasons): "
                f"{rejected_text(self.rejected)}."
            )
        if self.headline:
            lines.append(self.headline)
        if self.findings:
            lines.append(
                "Significant findings (Benjamini-Hochberg within each family of tests, alpha 0.05):"
            )
            lines.extend(f"  - {finding}" for finding in self.findings)
        else:
            lines.append(
                "No significant findings (Benjamini-Hochberg within each family of tests, alpha 0.05)."
            )
        lines.extend(self.anomalies)
        lines.append("Outputs:")
        lines.extend(f"  {name}: {uri}" for name, uri in self.outputs.items())
        if self.report:
            lines.append(f"Report (open in a browser): {self.report}")
        lines.append(f"Done in {self.seconds:.1f} s.")
        return "\n".join(lines)


def validate_range(start: datetime, end: datetime, now: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) as whole UTC hours within the partitions that exist; ValueError otherwise."""
    start, end = (pd.Timestamp(t).tz_localize("UTC") if pd.Timestamp(t).tzinfo is None else pd.Timestamp(t).tz_convert("UTC") for t in (start, end))
    now = now or pd.Timestamp.now(tz="UTC")
    first = pd.Timestamp(hourly_partitions.start).tz_convert("UTC")
    if start.floor("h") != start or end.floor("h") != end:
        raise ValueError(f"start and end must be whole hours (got {start} and {end})")
    if end <= start:
        raise ValueError(f"the end ({end:%Y-%m-%d %H:%M}) must be after the start ({start:%Y-%m-%d %H:%M})")
    if start < first:
        raise ValueError(f"the start ({start:%Y-%m-%d}) is before the first partition ({first:%Y-%m-%d}); set PIZZA_GAME_START_DATE")
    if end > now.floor("h"):
        raise ValueError(f"the end ({end:%Y-%m-%d %H:%M} UTC) is in the future: only finished hours can be collected")
    return start, end


def run_pipeline(
    start: datetime,
    end: datetime,
    *,
    defs: dg.Definitions | None = None,
    instance: dg.DagsterInstance | None = None,
    collect_margin: bool = True,
    log_level: str = "INFO",
    tags: dict[str, str] | None = None,
) -> PipelineSummary:
    """Materialize every asset for [start, end) (UTC, whole hours) and summarise the outcome.

    With ``collect_margin`` (date ranges) the orders are also collected for the hours the edge days'
    match windows reach into, so the first and last days' windows are complete. Without it (the
    hourly run) only [start, end) is collected and every day whose windows reach into it is merged
    and analysed again.
    ``tags`` go on both Dagster runs (the Lambda handler adds its request id).
    Raises PipelineError when a run fails.
    """
    from pizza_game.definitions import defs as default_defs

    began = time.monotonic()
    defs = defs or default_defs
    start, end = validate_range(start, end)
    instance = instance or default_instance()
    hours, days = _partitions(start, end, (defs.resources or {})["analysis_settings"], collect_margin)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}

    # The analysis run reads back the raw hours the orders run wrote (storage/written_raw.py).
    with _collector_for_runs(), keeping_written_raw():
        # The tag tells the analysis_after_orders sensor that this process runs the analysis itself.
        orders_run = _execute(defs, "orders_job", hours, instance, run_config, {**(tags or {}), ANALYSIS_STAGE_TAG: IN_PROCESS})
        analysis_config = {**run_config, "ops": {"correlation_analysis": {"config": {"as_of": days[1]}}}}
        analysis_run = _execute(defs, "analysis_job", days, instance, analysis_config, tags)

    summary = PipelineSummary(
        start=f"{start:%Y-%m-%d %H:%M}",
        end=f"{end:%Y-%m-%d %H:%M} UTC",
        hours=len(hourly_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(*hours))),
        days=len(daily_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(*days))),
        run_ids=[orders_run.run_id, analysis_run.run_id],
    )
    _fill_summary(summary, [orders_run, analysis_run])
    summary.seconds = round(time.monotonic() - began, 2)
    return summary


def _partitions(
    start: pd.Timestamp, end: pd.Timestamp, analysis_settings: AnalysisSettings, collect_margin: bool
) -> tuple[tuple[str, str], tuple[str, str]]:
    """The (first, last) hour partitions the orders run collects and the day partitions the
    analysis run merges and analyses (see run_pipeline); raises ValueError for a range the
    assets would refuse, before any run, so the CLI's exit code is 2."""
    now = pd.Timestamp.now(tz="UTC")
    if collect_margin:
        before, after = analysis_settings.windows().reach()
        first_hour = pd.Timestamp(hourly_partitions.start).tz_convert("UTC")
        hours = hour_range(
            max(start.floor("D") - before.ceil("h"), first_hour), min(end.ceil("D") + after.ceil("h"), now.floor("h"))
        )
        days = day_range(start, end)
    else:
        # Only [start, end) is collected; refresh every day whose match windows reach into it
        # (the rule the analysis_after_orders sensor applies to scheduled runs).
        hours = hour_range(start, end)
        days = days_after_orders(hours, analysis_settings, now)
    for what, partitions_def, keys in (("its orders run", hourly_partitions, hours), ("its analysis run", daily_partitions, days)):
        if why := refusal(f"{start:%Y-%m-%d} to {end - pd.Timedelta(1, 'ns'):%Y-%m-%d}: {what}", partitions_def, *keys):
            raise ValueError(why)
    return hours, days


@dataclass(frozen=True)
class _Run:
    """What the runner keeps of a successful run: its id and, per asset, the metadata of its last
    materialization (plain values). Not the ExecuteInProcessResult: it holds every step's output,
    a season's raw partitions among them, for as long as it lives (issue 14)."""

    run_id: str
    metadata: dict[str, dict]


# Full collections once per 100 collections of the middle generation, not 10 (Python's default).
RUN_FULL_COLLECTION_THRESHOLD = 100


@contextlib.contextmanager
def _collector_for_runs() -> Iterator[None]:
    """While the runs execute, the garbage collector leaves alone what the process had loaded
    before them (modules, definitions, the instance: 155,000 objects after the CLI's imports) and
    makes full collections a tenth as often. A 5-month run made 10 full collections walking all
    of it, 1.52 s; frozen, 14 walking the run's own objects, 0.82 s; both, 2 (0.17 s), with no
    higher peak (629 MB against 653). Reference counting frees everything else as before. After
    the runs the objects are unfrozen and the thresholds restored, so a long-lived process (a
    warm Lambda, a test session) collects as before."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], RUN_FULL_COLLECTION_THRESHOLD))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _execute(defs, job_name, keys, instance, run_config, tags=None) -> _Run:
    job = defs.resolve_job_def(job_name)
    with _batched_events(instance):
        result = job.execute_in_process(
            instance=instance,
            run_config=run_config,
            tags={RANGE_START: keys[0], RANGE_END: keys[1], **(tags or {})},
            raise_on_error=False,
        )
    if not result.success:
        raise PipelineError(f"{job_name} failed for {keys[0]} to {keys[1]}: {_first_error(result)}", result.run_id)
    return _Run(result.run_id, _latest_metadata(result))


def _batched_events(instance: dg.DagsterInstance) -> contextlib.AbstractContextManager[None]:
    """``event_log.batched_events``, without importing event_log (and with it Dagster's SQLite event
    storage) in a process that never opened such an instance: the Lambda's, whose cold start it
    made 0.3 s longer. An instance can only have the CLI's event log once that module is loaded."""
    module = sys.modules.get("pizza_game.event_log")
    return module.batched_events(instance) if module else contextlib.nullcontext()


def _first_error(result: dg.ExecuteInProcessResult) -> str:
    """The root cause of the first error event of a failed run, in one line."""
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        if error is None:
            continue
        while error.cause is not None:
            error = error.cause
        line = error.message.strip().splitlines()[-1]
        return re.sub(r"^[\w.]+(Error|Exception|Failure): ", "", line)
    return "see the run's logs"


def _latest_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    """For every asset, the metadata of its last materialization in the run (plain values)."""
    out: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        out[materialization.asset_key.to_user_string()] = {k: v.value for k, v in materialization.metadata.items()}
    return out


def _fill_summary(summary: PipelineSummary, runs: list[_Run]) -> None:
    # The later run's materializations of an asset replace the earlier's.
    metadata = {asset: values for run in runs for asset, values in run.metadata.items()}
    matches = metadata.get("raw_matches", {})
    merged = metadata.get("merged_dataset", {})
    summary.orders = int(merged.get("orders", 0))
    summary.orders_real_share = float(merged.get("real_share", 0.0))
    summary.matches = int(merged.get("matches", 0))
    summary.matches_real_share = float(matches.get("real_share", 0.0))
    summary_meta = metadata.get("correlation_summary", {})
    summary.matches_used = int(summary_meta.get("matches_used", 0))
    summary.matches_unused = dict(summary_meta.get("matches_unused_reasons", {}))
    summary.rejected = dict(summary_meta.get("rejected_rows", {}))
    summary.headline = str(summary_meta.get("headline", ""))
    summary.findings = list(summary_meta.get("findings", []))
    summary.anomalies = list(summary_meta.get("anomalies", []))
    report = metadata.get("dashboard_report", {})
    # latest.html, unless a report of a newer day holds it: then this run's own page.
    summary.report = str(report.get("latest" if report.get("latest_updated", True) else "storage_uri", ""))
    lift = summary_meta.get("headline_lift")
    summary.headline_lift = None if lift is None else float(lift)
    summary.quicksight_refresh = str(metadata.get("quicksight_manifest", {}).get("refresh_status", ""))
    summary.fallback_reasons = {
        asset: list(metadata[asset].get("fallback_reasons", [])) for asset in ("raw_orders", "raw_matches") if asset in metadata
    }
    for name, values in metadata.items():
        if "storage_uri" in values:
            summary.outputs[name] = str(values["storage_uri"])
