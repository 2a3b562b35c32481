"""import_sensor: files dropped under imports/ are imported once, and runs are requested for
exactly the partitions they touch; the cursor carries that across ticks and restarts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pizza_game.definitions import make_definitions
from pizza_game.partition_keys import RANGE_END, RANGE_START

# 19:05 and 19:40 in London on 15 October 2024 (BST, UTC+1): the hour 18:00-19:00 UTC.
ORDERS_CSV = b"""order_id,ordered_at,store_id,region,items,total
T-1,2024-10-15 19:05,st-1,London,2,21.50
T-2,2024-10-15 19:40,st-1,London,1,9.99
"""
# Two matches on 19 October 2024, with offsets in the data: no zone folder needed.
MATCHES_JSON = b"""[
 {"match_id": "m-1", "competition": "PL", "kickoff_at": "2024-10-19T11:30:00Z", "status": "FINISHED",
  "home_team": "Tottenham Hotspur FC", "away_team": "West Ham United FC", "home_score": 4, "away_score": 1},
 {"match_id": "m-2", "competition": "PL", "kickoff_at": "2024-10-19T14:00:00Z", "status": "FINISHED",
  "home_team": "Fulham FC", "away_team": "Aston Villa FC", "home_score": 1, "away_score": 3}
]"""
ORDERS_KEY = "imports/orders/Europe__London/shop.csv"
MATCHES_KEY = "imports/matches/saturday.json"


def storage_of(defs: dg.Definitions) -> object:
    """The definitions' storage resource, for a sensor context built by hand."""
    assert defs.resources is not None
    return defs.resources["storage"]


class Sensor:
    """Ticks of the import sensor as the daemon runs them, keeping the cursor between ticks."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance):
        self.defs = defs
        self.instance = instance
        self.cursor: str | None = None

    def tick(self, cursor: str | None = None) -> list[dg.RunRequest]:
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=cursor if cursor is not None else self.cursor,
            repository_def=self.defs.get_repository_def(),
            resources={"storage": storage_of(self.defs)},
        ) as context:
            result = self.defs.resolve_sensor_def("import_sensor").evaluate_tick(context)
        self.cursor = result.cursor
        return list(result.run_requests or [])


def drop(root: Path, key: str, data: bytes) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def files(root: Path, prefix: str) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / prefix).rglob("*") if p.is_file())


def real_orders_object(root: Path) -> Path:
    return root / "raw-data/dominos-orders/real/2024/10/15/20241015_180000_orders.json"


@pytest.fixture
def sensor(defs: dg.Definitions, instance: dg.DagsterInstance) -> Sensor:
    return Sensor(defs, instance)


def test_a_new_file_is_imported_once_its_size_is_stable_then_moved_to_done(sensor: Sensor, data_dir: Path) -> None:
    drop(data_dir, ORDERS_KEY, ORDERS_CSV)

    assert sensor.tick() == []  # first sight: the file may still be being copied in
    (request,) = sensor.tick()
    assert request.job_name == "orders_job"
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2024-10-15-18:00", "2024-10-15-18:00")
    assert real_orders_object(data_dir).is_file()

    assert sensor.tick() == []
    assert files(data_dir, "imports/orders") == []
    (done,) = files(data_dir, "imports/done")
    assert done.startswith("imports/done/orders/Europe__London/") and done.endswith("_shop.csv")
    assert (data_dir / done).read_bytes() == ORDERS_CSV


def test_the_same_file_dropped_again_is_not_imported_twice(sensor: Sensor, data_dir: Path) -> None:
    drop(data_dir, ORDERS_KEY, ORDERS_CSV)
    sensor.tick(), sensor.tick(), sensor.tick()
    landed = real_orders_object(data_dir).read_bytes()

    drop(data_dir, ORDERS_KEY, ORDERS_CSV)
    assert sensor.tick() == [] and sensor.tick() == []
    assert files(data_dir, "imports/orders") == []
    assert all((data_dir / f).read_bytes() == ORDERS_CSV for f in files(data_dir, "imports/done"))
    assert real_orders_object(data_dir).read_bytes() == landed


def test_two_files_in_two_partitions_request_a_run_each_for_their_own_partitions(sensor: Sensor, data_dir: Path) -> None:
    drop(data_dir, ORDERS_KEY, ORDERS_CSV)
    drop(data_dir, MATCHES_KEY, MATCHES_JSON)
    sensor.tick()
    requests = {r.job_name: r for r in sensor.tick()}

    orders, analysis = requests["orders_job"], requests["analysis_job"]
    assert (orders.tags[RANGE_START], orders.tags[RANGE_END]) == ("2024-10-15-18:00", "2024-10-15-18:00")
    assert (analysis.tags[RANGE_START], analysis.tags[RANGE_END]) == ("2024-10-19", "2024-10-19")
    assert analysis.run_config["ops"]["correlation_analysis"]["config"]["as_of"] == "2024-10-19"
    assert orders.run_key != analysis.run_key
    assert (data_dir / "raw-data/football-data/real/2024/10/19/20241019_000000_matches.json").is_file()


def test_a_restart_with_the_saved_cursor_requests_nothing_twice(defs: dg.Definitions, instance: dg.DagsterInstance, data_dir: Path) -> None:
    drop(data_dir, ORDERS_KEY, ORDERS_CSV)
    before = Sensor(defs, instance)
    before.tick()
    assert len(before.tick()) == 1
    saved = before.cursor

    after = Sensor(defs, instance)  # a new daemon process, starting from the stored cursor
    assert after.tick(saved) == []
    assert files(data_dir, "imports/orders") == []


def test_a_tick_whose_cursor_was_lost_asks_again_with_the_same_run_key(
    defs: dg.Definitions, instance: dg.DagsterInstance, data_dir: Path
) -> None:
    drop(data_dir, ORDERS_KEY, ORDERS_CSV)
    sensor = Sensor(defs, instance)
    sensor.tick()
    stable = sensor.cursor
    (first,) = sensor.tick()
    landed = real_orders_object(data_dir).read_bytes()

    # The daemon died before storing that tick: the next tick starts from the cursor before it.
    (again,) = Sensor(defs, instance).tick(stable)
    assert again.run_key == first.run_key  # Dagster launches one run per run key
    assert real_orders_object(data_dir).read_bytes() == landed


def test_a_bad_file_is_moved_to_failed_with_the_reason_and_not_tried_again(sensor: Sensor, data_dir: Path) -> None:
    drop(data_dir, "imports/matches/broken.json", b'[{"match_id": "x",')
    sensor.tick()
    assert sensor.tick() == []

    failed = files(data_dir, "imports/failed")
    assert len(failed) == 2
    error = next(f for f in failed if f.endswith(".error.txt"))
    text = (data_dir / error).read_text()
    assert "invalid JSON" in text and "imports/matches/broken.json" in text
    assert "pizza-game-import-" not in text  # the message names the dropped file, not a temporary copy
    assert sensor.tick() == []
    assert files(data_dir, "imports/matches") == []


def test_orders_without_a_zone_and_without_offsets_are_refused_with_the_reason(sensor: Sensor, data_dir: Path) -> None:
    drop(data_dir, "imports/orders/no_zone.csv", ORDERS_CSV)
    sensor.tick()
    assert sensor.tick() == []
    error = next(f for f in files(data_dir, "imports/failed") if f.endswith(".error.txt"))
    assert "naive timestamp" in (data_dir / error).read_text()


def test_files_dropped_in_an_s3_bucket_are_imported_the_same_way(
    clean_env: None, instance: dg.DagsterInstance, moto_s3, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3_BUCKET_NAME", s3_bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", moto_s3.endpoint_url)
    defs = make_definitions()
    client = moto_s3.client()
    client.put_object(Bucket=s3_bucket, Key=MATCHES_KEY, Body=MATCHES_JSON)
    sensor = Sensor(defs, instance)

    sensor.tick()
    (request,) = sensor.tick()
    assert request.job_name == "analysis_job"
    sensor.tick()

    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]
    assert "raw-data/football-data/real/2024/10/19/20241019_000000_matches.json" in keys
    assert MATCHES_KEY not in keys
    assert any(k.startswith("imports/done/matches/") and k.endswith("_saturday.json") for k in keys)


def test_a_tick_without_new_files_says_so(defs: dg.Definitions, instance: dg.DagsterInstance) -> None:
    # Without a skip reason Dagster logs "Sensor function returned an empty result" every tick.
    with dg.build_sensor_context(
        instance=instance, repository_def=defs.get_repository_def(), resources={"storage": storage_of(defs)}
    ) as context:
        result = defs.resolve_sensor_def("import_sensor").evaluate_tick(context)
    assert not result.run_requests
    assert result.skip_message == "no new file under imports/orders/ or imports/matches/ to import"
