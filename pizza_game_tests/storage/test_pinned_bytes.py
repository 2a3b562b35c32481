"""Speed changes no data: the objects a fixed run writes are byte-identical to the pinned digests.

An import of real orders (with a rejected row) and then the real main job over two days with a
fixed seed, into a fresh data root. Every raw partition and every merged day is compared, key by
key, against ``pinned_digests.json``. When a change alters these bytes on purpose, say why in the
commit and rewrite the digests with ``python -m pizza_game_tests.storage.test_pinned_bytes``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import dagster as dg
import pandas as pd

from pizza_game.collectors.drop_area import fingerprint
from pizza_game.collectors.file_import import import_orders
from pizza_game.definitions import make_definitions
from pizza_game.runner import run_pipeline
from pizza_game.storage.landing import land_import
from pizza_game.storage.store import LOCK_NAME, LocalStore
from pizza_game_tests.layout_check import keys_under

DIGESTS = Path(__file__).with_name("pinned_digests.json")
ORDERS = Path("/work/shared/data/pizza_place_2015/orders_canonical.csv")
START, END = pd.Timestamp("2024-10-05", tz="UTC"), pd.Timestamp("2024-10-07", tz="UTC")
PINNED_PREFIXES = ("raw-data/", "processed-data/merged-datasets/")


def _orders_file(folder: Path) -> Path:
    """The store's first 120 orders of 2015, moved to the run's first day, and one bad row."""
    lines = ORDERS.read_text().splitlines()
    header, rows = lines[0], lines[1:121]
    moved = [row.replace("2015-01-0", "2024-10-0").replace(",2024-10-01,", ",2024-10-05,").replace(",2024-10-02,", ",2024-10-05,") for row in rows]
    path = folder / "orders_sample.csv"
    path.write_text("\n".join([header, *moved, "999999,2024-10-05,not a time,pizzaplace-1,US,1,9.5"]) + "\n")
    return path


def digests(root: Path) -> dict[str, str]:
    store = LocalStore(root)
    # Rejected rows name their file: a relative name keeps the bytes independent of the folder.
    with contextlib.chdir(_orders_file(root.parent).parent):
        imported = import_orders("orders_sample.csv", timezone="America/New_York")
        digest = fingerprint(Path("orders_sample.csv").read_bytes())
    land_import(store, "raw_orders", imported, source_name="orders_sample.csv", fingerprint=digest)
    run_pipeline(START, END, defs=make_definitions(data_dir=str(root), seed=7), instance=dg.DagsterInstance.ephemeral(), log_level="ERROR")
    return {
        key: hashlib.sha256((root / key).read_bytes()).hexdigest()
        for key in keys_under(root)
        # A LocalStore lock file is no object.
        if key.startswith(PINNED_PREFIXES) and not key.endswith(LOCK_NAME)
    }


def test_raw_and_merged_objects_are_byte_identical_to_the_pinned_digests(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    got = digests(tmp_path / "data")
    pinned = json.loads(DIGESTS.read_text())
    assert any("/real/" in key for key in got) and any("/mock/" in key for key in got)
    assert sorted(got) == sorted(pinned), "different keys written"
    changed = [key for key in pinned if got[key] != pinned[key]]
    assert not changed, f"{len(changed)} of {len(pinned)} objects changed, e.g. {changed[:3]}"


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "data").mkdir()
        DIGESTS.write_text(json.dumps(digests(Path(folder) / "data"), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGESTS}", file=sys.stderr)
