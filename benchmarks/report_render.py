"""Size and speed of the HTML report for a Premier League season (380 matches, hourly series).

Run from the repository root:  python -m benchmarks.report_render [--loads 3] [--seed 7]

The season's orders and matches come from the mock generators, merged day by day by merge_day, and
the dashboard table from build_dashboard_data; only the engine's baselines are stood in for by
seeded lifts (pizza_game_tests/report/synthetic.py). Two pages are measured: the report the pipeline
writes (the dashboard's last 30 days) and one whose dashboard spans the whole season.
Per page: the Python render time, the file size (without the Plotly bundle it loads from a file
beside it), and in headless Chromium the time from navigation start to the page's "rendered" mark
(set once every chart is drawn), median of ``--loads`` loads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from pizza_game.quicksight.dashboard import DASHBOARD_DAYS, build_dashboard_data
from pizza_game.report.html import plotly_bundle, render_report
from pizza_game_tests.report.browser import chromium
from pizza_game_tests.report.synthetic import synthetic_dashboard

# The mock 2024-25 season, as in benchmarks/mock_generator.py: 380 matches.
SEASON_START, SEASON_DAYS = "2024-08-01", 304
RESULTS = Path(__file__).resolve().parent / "results" / "report_render.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--loads", type=int, default=3, help="browser loads per page (median reported)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    season = synthetic_dashboard(SEASON_START, SEASON_DAYS, seed=args.seed)
    matches = season.dashboard.query(
        "record_type == 'match_window' and window == 'during' and region == 'ALL'"
    )
    print(
        f"season {SEASON_START} + {SEASON_DAYS} days: {len(matches)} matches, "
        f"built in {time.perf_counter() - started:.1f} s; each page loads "
        f"{len(plotly_bundle().text.encode('utf-8')):,} bytes of Plotly.js from {plotly_bundle().name} beside it"
    )
    last = season.days[-1].day
    recent = build_dashboard_data(
        pd.concat([d.series for d in season.days], ignore_index=True),
        season.summary,
        season.windows,
        season.matches,
        as_of=last,
        period_days=DASHBOARD_DAYS,
    )
    results = []
    with chromium() as browser, tempfile.TemporaryDirectory() as folder:
        (Path(folder) / plotly_bundle().name).write_text(plotly_bundle().text, encoding="utf-8")
        for name, table in (
            (f"last {DASHBOARD_DAYS} days", recent),
            ("whole season", season.dashboard),
        ):
            renders = []
            for _ in range(3):
                began = time.perf_counter()
                page = render_report(table, season.summary)
                renders.append(time.perf_counter() - began)
            path = Path(folder) / "dashboard.html"
            path.write_text(page, encoding="utf-8")
            loads = []
            for _ in range(args.loads):
                tab = browser.new_page(viewport={"width": 1280, "height": 900})
                tab.goto(path.as_uri())
                tab.wait_for_selector("html[data-rendered='true']", state="attached", timeout=120_000)
                loads.append(tab.evaluate("performance.getEntriesByName('rendered')[0].startTime"))
                tab.close()
            result = {
                "page": name,
                "dashboard_rows": len(table),
                "bytes": len(page.encode("utf-8")),
                "render_seconds": round(statistics.median(renders), 3),
                "load_to_rendered_ms": round(statistics.median(loads)),
                "loads_ms": [round(v) for v in loads],
            }
            results.append(result)
            print(
                f"  {name:15s} " + ", ".join(f"{k} {v}" for k, v in result.items() if k != "page")
            )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
