"""Where a report is stored: reports/latest.html never moves back to an older day."""

from __future__ import annotations

import pandas as pd

from pizza_game.report.pages import report_targets
from pizza_game.storage import layout
from pizza_game.storage.store import LocalStore

DAY = pd.Timestamp("2024-09-21", tz="UTC")


def test_the_first_report_is_also_the_latest(tmp_path):
    assert report_targets(LocalStore(tmp_path), DAY) == (layout.report_key(DAY), layout.REPORT_LATEST_KEY)


def test_a_backfilled_day_leaves_latest_on_the_newest(tmp_path):
    store = LocalStore(tmp_path)
    newer = DAY + pd.Timedelta(days=1)
    store.put(layout.report_key(newer), b"<html></html>", "text/html")
    assert report_targets(store, DAY) == (layout.report_key(DAY),)
    assert report_targets(store, newer) == (layout.report_key(newer), layout.REPORT_LATEST_KEY)
