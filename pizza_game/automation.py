"""Jobs, the hourly schedule and the sensors: how the graph runs itself.

The pipeline runs in two stages, one per partition grain. Dagster gives every run one partition
range, in one partitions definition. Orders are hourly and matches/merged data daily, so any
time range is exactly two runs, whatever its length: the order hours (``orders_job``), then the
match days, the merged days and everything downstream (``analysis_job``). Both use single-run
backfill policies, so a season is still two runs.

Automation follows the same shape:

- ``hourly_schedule`` (``0 * * * *``, UTC) runs ``orders_job`` for the hour that just ended.
- ``analysis_after_orders`` follows materializations, not job names: once a run that
  materialized ``raw_orders`` has ended (``orders_job``, a backfill launched in the UI, the
  schedule, an import), it requests one ``analysis_job`` run for the days whose match windows
  reach into that run's hours (the rule of ``partition_keys.days_reached``, the runner's too):
  matches of those days are collected again (scores arrive after kick-off), merged, analysed and
  published. Its cursor is the storage id of the last materialization event handled and its run
  key is derived from the orders run, so a restarted sensor never requests the same analysis
  twice. Runs the runner executes in-process are tagged ``pizza_game/analysis_stage=in_process``
  and skipped: the runner runs their analysis itself.
- ``import_sensor`` watches the drop area (collectors/drop_area.py) and requests ``orders_job``
  for the hours an orders file touched (then the chain above) or ``analysis_job`` for the days a
  matches file touched.
- ``freshness_schedule`` evaluates the freshness checks at half past every hour.

One run for the hourly schedule is not possible within Dagster's model: a run holds one partition
range of one partitions definition, and declarative automation would still launch the daily
assets in runs of their own. The two runs share nothing but storage, so the second can be re-run
on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
import pandas as pd

from pizza_game.assets.freshness import FRESHNESS_CHECKS, RAW_ORDERS
from pizza_game.collectors.drop_area import DropCursor, ImportedFile, scan_drop_area
from pizza_game.partition_keys import (
    HOUR,
    RANGE_END,
    RANGE_START,
    days_reached,
    hours_of_keys,
    run_range,
)
from pizza_game.partitions import hourly_partitions
from pizza_game.resources.analysis_settings import AnalysisSettings
from pizza_game.resources.storage import StorageResource

# Ours: a run whose analysis stage is run by its caller (runner.run_pipeline) is not chained.
ANALYSIS_STAGE_TAG = "pizza_game/analysis_stage"
IN_PROCESS = "in_process"
PARENT_RUN_TAG = "pizza_game/parent_run"
IMPORTED_FILE_TAG = "pizza_game/imported_file"
# Materialization events read per tick; a run's hours come from its tags, however many it wrote.
SCAN_LIMIT = 10_000

orders_job = dg.define_asset_job(
    "orders_job",
    # The freshness checks judge the instance, not a run's data: they run on their own schedule.
    selection=dg.AssetSelection.assets("raw_orders") - dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    executor_def=dg.in_process_executor,
    description="Collect pizza orders for a range of hours (one run for the whole range).",
)

analysis_job = dg.define_asset_job(
    "analysis_job",
    selection=(
        dg.AssetSelection.assets("raw_orders").downstream(include_self=False) | dg.AssetSelection.assets("raw_matches")
    )
    - dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    executor_def=dg.in_process_executor,
    description=(
        "Collect matches, merge them with the collected orders and analyse and publish the results, "
        "for a range of days (one run for the whole range)."
    ),
)

freshness_job = dg.define_asset_job(
    "freshness_job",
    selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    executor_def=dg.in_process_executor,
    description="Evaluate the freshness checks: is the hourly pipeline keeping up?",
)


@dg.schedule(
    name="hourly_schedule",
    job=orders_job,
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    description="Every hour on the hour (UTC): collect the orders of the hour that just ended; "
    "analysis_after_orders then refreshes the days it touches.",
)
def hourly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    ended = pd.Timestamp(context.scheduled_execution_time).tz_convert("UTC").floor("h") - HOUR
    key = hourly_partitions.get_partition_key_for_timestamp(ended.timestamp())
    return dg.RunRequest(run_key=key, partition_key=key)


freshness_schedule = dg.ScheduleDefinition(
    name="freshness_schedule",
    job=freshness_job,
    cron_schedule="30 * * * *",
    execution_timezone="UTC",
    description="At half past every hour: are the orders and the published dashboard recent enough?",
)


def analysis_request(days: tuple[str, str], run_key: str, tags: dict[str, str]) -> dg.RunRequest:
    """A run of analysis_job over ``days``, its horizon ending on the last of them."""
    return dg.RunRequest(
        run_key=run_key,
        job_name="analysis_job",
        run_config={"ops": {"correlation_analysis": {"config": {"as_of": days[1]}}}},
        tags={RANGE_START: days[0], RANGE_END: days[1], **tags},
    )


def orders_request(hours: tuple[str, str], run_key: str, tags: dict[str, str]) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=run_key, job_name="orders_job", tags={RANGE_START: hours[0], RANGE_END: hours[1], **tags}
    )


def days_after_orders(
    hours: tuple[str, str], analysis_settings: AnalysisSettings, now: pd.Timestamp
) -> tuple[str, str]:
    """The days to merge and analyse again once the order hours ``hours`` have changed."""
    before, after = analysis_settings.windows().reach()
    start, end = hours_of_keys(*hours)
    return days_reached(start, end, before=before, after=after, now=now)


@dataclass(frozen=True)
class OrdersBatch:
    """The order hours one run materialized: the analysis follows each such run once."""

    run_id: str
    hours: tuple[str, str]


@dataclass(frozen=True)
class OrdersScan:
    batches: list[OrdersBatch]
    cursor: int
    running: list[str]
    in_process: list[str]


def scan_orders(instance: dg.DagsterInstance, after: int) -> OrdersScan:
    """The runs that materialized raw_orders after storage id ``after`` and have ended.

    The cursor moves past a run's events only once every run before it has ended, so a run that
    is still writing its hours is picked up, whole, on a later tick. A run's hours are its
    partition range (its tags), else the first and last of the hours it materialized.
    """
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RAW_ORDERS, after_storage_id=after), limit=SCAN_LIMIT, ascending=True
    ).records
    seen: dict[str, list[str]] = {}
    cursor, blocked = after, False
    running: list[str] = []
    for record in records:
        run = instance.get_run_by_id(record.run_id)
        if run is not None and not run.is_finished:
            blocked = True
            if record.run_id not in running:
                running.append(record.run_id)
            continue
        if record.partition_key is not None:  # always set: raw_orders is hourly partitioned
            seen.setdefault(record.run_id, []).append(record.partition_key)
        if not blocked:
            cursor = record.storage_id
    batches, in_process = [], []
    for run_id, keys in seen.items():
        run = instance.get_run_by_id(run_id)
        if run is not None and run.tags.get(ANALYSIS_STAGE_TAG) == IN_PROCESS:
            in_process.append(run_id)
            continue
        hours = (run and run_range(dict(run.tags))) or (min(keys), max(keys))
        batches.append(OrdersBatch(run_id, hours))
    return OrdersScan(batches, cursor, running, in_process)


@dg.sensor(
    name="analysis_after_orders",
    job=analysis_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Whenever a run (any job, a UI backfill, the schedule, an import) has materialized "
    "raw_orders and ended: analysis_job for the days whose match windows reach into its hours.",
)
def analysis_after_orders(context: dg.SensorEvaluationContext, analysis_settings: AnalysisSettings) -> dg.SensorResult:
    scan = scan_orders(context.instance, int(context.cursor or 0))
    requests = []
    now = pd.Timestamp.now(tz="UTC")
    for batch in scan.batches:
        days = days_after_orders(batch.hours, analysis_settings, now)
        context.log.info(
            f"orders {batch.hours[0]} to {batch.hours[1]} (run {batch.run_id}): analysing days {days[0]} to {days[1]}"
        )
        requests.append(analysis_request(days, run_key=f"analysis-after-{batch.run_id}", tags={PARENT_RUN_TAG: batch.run_id}))
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=str(scan.cursor))
    if scan.running:
        reason = f"raw_orders is being materialized by run(s) {', '.join(scan.running)}: the analysis follows once they end"
    elif scan.in_process:
        reason = f"run(s) {', '.join(scan.in_process)} are analysed by the process that ran them (pizza-game run)"
    else:
        reason = "no raw_orders partitions materialized since the last tick"
    return dg.SensorResult(skip_reason=reason, cursor=str(scan.cursor))


def import_request(imported: ImportedFile) -> dg.RunRequest:
    """The run that picks an imported file up: its hours of orders, or its days of matches."""
    keys = (imported.first, imported.last)
    tags = {IMPORTED_FILE_TAG: imported.key[-255:]}
    run_key = f"import-{imported.fingerprint}"
    if imported.asset == "raw_orders":
        return orders_request(keys, run_key, tags)
    return analysis_request(keys, run_key, tags)


@dg.sensor(
    name="import_sensor",
    jobs=[orders_job, analysis_job],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Imports files dropped under imports/orders/ and imports/matches/ of the data "
    "root (or bucket) and requests runs for exactly the partitions they touch.",
)
def import_sensor(context: dg.SensorEvaluationContext, storage: StorageResource) -> dg.SensorResult:
    scan = scan_drop_area(storage.store(), DropCursor.from_json(context.cursor), now=pd.Timestamp.now(tz="UTC"))
    for imported in scan.imported:
        context.log.info(
            f"imported {imported.rows:,} rows ({imported.rejected:,} rejected, kept with reasons) from "
            f"{imported.uri} into {imported.asset} {imported.first} to {imported.last}"
        )
    for failed in scan.failed:
        context.log.error(f"could not import {failed.key} (moved to {failed.moved_to}): {failed.error}")
    for key in scan.duplicates:
        context.log.info(f"{key}: the same content was imported before; moved to done/ without a new run")
    if scan.waiting:
        context.log.info(
            f"{len(scan.waiting)} file(s) wait for the next tick (new, still growing, or over this tick's "
            f"budget): {scan.waiting[:5]}"
        )
    requests = [import_request(imported) for imported in scan.imported]
    # Without a reason Dagster logs "Sensor function returned an empty result" every tick.
    skip = None if requests else "no new file under imports/orders/ or imports/matches/ to import"
    return dg.SensorResult(run_requests=requests, cursor=scan.cursor.to_json(), skip_reason=skip)


SCHEDULES = [hourly_schedule, freshness_schedule]
SENSORS = [analysis_after_orders, import_sensor]
JOBS = [orders_job, analysis_job, freshness_job]
