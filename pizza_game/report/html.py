"""The offline HTML dashboard: one page showing what the QuickSight dashboard shows.

The page embeds its own small script and style, and the data; Plotly's JavaScript (4.8 MB, the
same for every page) is one file beside the reports (``plotly_bundle``), written once to the store
and loaded by a relative path, so a page opens from a file with no network. A
Content-Security-Policy lets only the page's own script (by its hash) and scripts of the page's
own origin run, and forbids every other request. The bundle is allowed as ``'self'``, not by a
hash: a hash needs an ``integrity`` check, which Chromium refuses for a file:// script. Every value
from the data is escaped: HTML text and attributes with ``html.escape``, the embedded JSON with
``<``, ``>`` and ``&`` as ``\\u`` escapes, so no value can close its ``<script>``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd
from plotly.offline import get_plotlyjs, get_plotlyjs_version
from plotly.utils import PlotlyJSONEncoder

from pizza_game.analysis.merge import ALL_REGIONS
from pizza_game.analysis.summary import rejected_text
from pizza_game.analysis.windows import DEFAULT_WINDOWS, WINDOWS, WindowConfig
from pizza_game.quicksight.dashboard import DASHBOARD_COLUMNS
from pizza_game.report.figures import (
    Facets,
    build_facets,
    lift_figure,
    orders_figure,
    quality_figure,
)

DEFAULT_TITLE = "Do football matches move pizza orders?"
STATIC = files("pizza_game.report") / "static"


@dataclass(frozen=True)
class PlotlyBundle:
    """Plotly's JavaScript, under a file name that changes whenever its bytes do."""

    name: str
    text: str


@cache
def plotly_bundle() -> PlotlyBundle:
    """The bundle the installed plotly ships: ``plotly-<plotly.js version>-<sha256 prefix>.min.js``,
    so a stored bundle is never replaced by other bytes under the same key."""
    text = get_plotlyjs()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return PlotlyBundle(f"plotly-{get_plotlyjs_version()}-{digest}.min.js", text)


@dataclass(frozen=True)
class PageLinks:
    """Where a page finds, relative to itself, the per-match table and Plotly's bundle."""

    plotly: str
    match_table: str | None = None


def render_report(
    dashboard: pd.DataFrame,
    summary: dict,
    *,
    title: str = DEFAULT_TITLE,
    windows: WindowConfig = DEFAULT_WINDOWS,
    links: PageLinks | None = None,
) -> str:
    """The report page for a dashboard table (quicksight.dashboard) and the analysis summary.

    ``windows`` are the match windows the analysis used (the table gives each window's start only);
    ``links`` say where the per-match table over the whole horizon (match_windows.csv) and Plotly's
    bundle are; by default the bundle is beside the page and there is no table link.
    """
    links = links or PageLinks(plotly=plotly_bundle().name)
    return render_reports(dashboard, summary, title=title, windows=windows, links=[links])[0]


def render_reports(
    dashboard: pd.DataFrame,
    summary: dict,
    *,
    title: str = DEFAULT_TITLE,
    windows: WindowConfig = DEFAULT_WINDOWS,
    links: list[PageLinks],
) -> list[str]:
    """``render_report`` for each of ``links`` (pages stored in different folders reach the
    per-match table and the bundle by different relative paths): the figures, data, script and
    match table are built once, only the links differ."""
    missing = [c for c in DASHBOARD_COLUMNS if c not in dashboard.columns]
    if missing:
        raise ValueError(
            f"the dashboard table lacks columns {missing}; build it with build_dashboard_data"
        )
    dashboard = dashboard.reset_index(drop=True)
    facets = build_facets(dashboard, windows)
    data = page_data(dashboard, summary, facets, windows)
    page_js = (STATIC / "report.js").read_text()
    policy = (
        "default-src 'none'; connect-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; "
        f"script-src 'self' {script_hash(page_js)}"
    )
    before_table = sections_before_table(dashboard, summary, facets)
    matches = match_table(dashboard, facets)
    after_table = data_quality(summary)
    return [
        page(
            title,
            summary,
            policy,
            data,
            link.plotly,
            page_js,
            "\n".join(
                [before_table, matches_section(matches, summary, link.match_table), after_table]
            ),
        )
        for link in links
    ]


def page_data(dashboard: pd.DataFrame, summary: dict, facets: Facets, windows: WindowConfig) -> str:
    """The facets and the figures, as the JSON the page's script reads."""
    figures = {
        "orders-chart": orders_figure(dashboard, facets, windows),
        "lift-chart": lift_figure(dashboard),
        "quality-chart": quality_figure(summary),
    }
    return script_json(
        {
            "facets": facets.to_json(),
            "figures": [{"id": key, **f.to_plotly_json()} for key, f in figures.items()],
        }
    )


def sections_before_table(dashboard: pd.DataFrame, summary: dict, facets: Facets) -> str:
    """The filters, KPI tiles, both charts and the relationships: the page above the match table."""
    return "\n".join(
        [
            filter_form(facets),
            kpi_tiles(dashboard, summary),
            section(
                "Orders over time",
                "Orders per hour; shaded: match windows (pre, during, post); "
                "triangles: kick-offs. The region, date and source filters change the line, "
                "team and competition the matches shown.",
                '<div id="orders-chart"></div>',
            ),
            section(
                "Lift per match window",
                "Bars: the tested lift over the matches used with its 95% confidence interval "
                "(red: significant after Benjamini-Hochberg adjustment within the primary family). "
                "Points: each match's own lift, descriptive only (one match's observed / expected "
                "- 1, not a test), following the filters.",
                '<div id="lift-chart"></div>',
            ),
            relationships(summary),
        ]
    )


def page(title: str, summary: dict, policy: str, data: str, plotly_src: str, page_js: str, main: str) -> str:
    """The whole HTML document around the sections ``main``; Plotly's bundle is loaded from
    ``plotly_src`` (a path relative to the page)."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>{escape(title)}</title>
<style>{(STATIC / "report.css").read_text()}</style>
</head>
<body>
{header(title, summary)}
<main>
{main}
</main>
<footer>Made by pizza_game from the dashboard data of {escape(str(summary.get("as_of", "")))}.
The charts load Plotly.js from <code>{escape(plotly_src)}</code>: keep that file where it is
relative to this page (copy the whole reports folder) and the page needs no network.</footer>
<script type="application/json" id="report-data">{data}</script>
<script id="plotly-bundle" src="{escape(plotly_src)}"></script>
<script>{page_js}</script>
</body>
</html>
"""


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no <, > or & that could end or open a tag."""
    text = json.dumps(value, cls=PlotlyJSONEncoder, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script_hash(source: str) -> str:
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def section(title: str, how: str, content: str) -> str:
    return f'<section><h2>{escape(title)}</h2><p class="how">{escape(how)}</p>{content}</section>'


def percent(value: Any, signed: bool = False) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def number(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:.3g}"


def plain(value: Any) -> str:
    """A summary value in words: numbers formatted, mappings as "key: value" pairs."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value) or "none"
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | float):
        return number(value)
    return "–" if value is None else str(value)


def header(title: str, summary: dict) -> str:
    period = summary.get("period") or {}
    facts = []
    if period:
        facts.append(f"analysed {period.get('start', '?')} to {period.get('end', '?')}")
    if summary.get("as_of"):
        facts.append(f"as of {summary['as_of']}")
    if summary.get("days_analysed") is not None:
        facts.append(
            f"{summary['days_analysed']} of {summary.get('horizon_days', '?')} days with data"
        )
    headline = summary.get("headline") or "No headline: the analysis gave none."
    return (
        f'<header><h1>{escape(title)}</h1><p class="headline">{escape(str(headline))}</p>'
        f'<p class="muted">{escape(", ".join(facts))}</p></header>'
    )


def select(key: str, label: str, names: list[str], everything: str | None) -> str:
    """A filter: one option per category, valued by its code; ``everything`` (code -1) first."""
    first = f'<option value="-1">{escape(everything)}</option>' if everything else ""
    choices = "".join(
        f'<option value="{i}">{escape(name)}</option>' for i, name in enumerate(names)
    )
    return f'<label>{label}<select id="f-{key}">{first}{choices}</select></label>'


def filter_form(facets: Facets) -> str:
    """Team, competition, data source, region (national first) and the kick-off/hour date range."""
    timed = facets.t[~np.isnan(facets.t)]
    days = (
        [f"{pd.Timestamp(t, unit='ms'):%Y-%m-%d}" for t in (timed.min(), timed.max())]
        if len(timed)
        else []
    )
    limits = f' min="{days[0]}" max="{days[1]}"' if days else ""
    names = facets.names
    regions = [f"national ({name})" if name == ALL_REGIONS else name for name in names["region"]]
    return "\n".join(
        [
            '<form id="filters" class="filters" autocomplete="off">',
            select("team", "Team", names["team"], "all teams"),
            select("competition", "Competition", names["competition"], "all competitions"),
            select("source", "Data source", names["source"], "all sources"),
            select("region", "Region", regions, None if regions else "no regions"),
            f'<label>From<input type="date" id="f-from"{limits}></label>',
            f'<label>To<input type="date" id="f-to"{limits}></label>',
            '<button type="reset">Reset</button><output id="shown"></output>',
            "</form>",
        ]
    )


def kpi_tiles(dashboard: pd.DataFrame, summary: dict) -> str:
    """The headline numbers (kpi rows), the tested lift of each window (window_lift rows) and, for
    a window whose test could not run, what it lacks (from the summary)."""
    kpi = dashboard[dashboard["record_type"] == "kpi"].set_index("metric")["value"].get
    tiles = [
        tile("Orders analysed", number(kpi("orders")), ""),
        tile(
            "Matches used",
            number(kpi("matches_used")),
            f"of {number(kpi('matches'))} matches: those behind the headline and the lifts",
        ),
        tile("Real-data share", percent(kpi("real_share")), "of the orders behind the results"),
        tile(
            "Significant tests", number(kpi("significant_tests")), f"of {number(kpi('tests'))} run"
        ),
    ]
    lifts = dashboard[dashboard["record_type"] == "window_lift"]
    not_run = {
        w["window"]: w["not_run"] for w in summary.get("lift_by_window") or [] if w.get("not_run")
    }
    lifts = lifts[~lifts["window"].isin(list(not_run))]
    order = {name: i for i, name in enumerate(WINDOWS)}
    for window, reason in sorted(not_run.items(), key=lambda item: order.get(item[0], len(order))):
        tiles.append(tile(f"Lift, {window} window", "not tested", f"The test {reason}."))
    for row in sorted(lifts.itertuples(), key=lambda r: order.get(str(r.window), len(order))):
        significant = flag(row.significant)
        note = f"95% CI {percent(row.ci_low, True)} to {percent(row.ci_high, True)}, "
        note += "significant" if significant else "not significant"
        tiles.append(tile(f"Lift, {row.window} window", percent(row.lift, True), note, significant))
    return f'<div class="tiles">{"".join(tiles)}</div>'


def tile(label: str, value: str, note: str, significant: bool = False) -> str:
    css = "tile significant" if significant else "tile"
    return (
        f'<div class="{css}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="note">{escape(note)}</div></div>'
    )


def td(text: str, css: str = "") -> str:
    return f'<td class="{css}">{escape(text)}</td>' if css else f"<td>{escape(text)}</td>"


def table(columns: list[tuple[str, str]], rows: list[str]) -> str:
    """A scrolling table: ``columns`` are (heading, css class), ``rows`` finished <tr> elements."""
    head = "".join(f'<th class="{css}">{escape(name)}</th>' for name, css in columns)
    body = "".join(rows)
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def relationships(summary: dict) -> str:
    """The significant relationships as the engine words them, then all the strongest ones."""
    strongest = summary.get("strongest_relationships") or []
    found = [escape(str(r.get("sentence", ""))) for r in strongest if r.get("significant")]
    content = (
        "<ul>" + "".join(f"<li>{sentence}</li>" for sentence in found) + "</ul>"
        if found
        else "<p>No relationship between a match and orders is significant after adjustment.</p>"
    )
    tests = summary.get("tests") or {}
    if tests:
        words = (
            f"{plain(tests.get('run'))} tests run, {plain(tests.get('significant'))} significant "
            f"at alpha {plain(tests.get('alpha'))} after {plain(tests.get('adjustment'))}; "
            f"not run: {plain(tests.get('not_run'))}."
        )
        content += f'<p class="muted">{escape(words)}</p>'
    rows = [
        "<tr>"
        + "".join(td(plain(r.get(k))) for k in ("window", "region", "feature", "method"))
        + td(number(r.get("r")), "num")
        + td(f"{number(r.get('ci_low'))} to {number(r.get('ci_high'))}", "num")
        + td(number(r.get("n")), "num")
        + td(number(r.get("p_adjusted")), "num")
        + td("significant" if r.get("significant") else "")
        + "</tr>"
        for r in strongest
    ]
    if rows:
        content += table(RELATIONSHIP_COLUMNS, rows)
    return section(
        "What moves orders",
        "The significant relationships in plain words, then the strongest relationships tested "
        "(r: correlation with its 95% CI; p adjusted by Benjamini-Hochberg).",
        content,
    )


RELATIONSHIP_COLUMNS = [
    *((name, "") for name in ("window", "region", "feature", "method")),
    *((name, "num") for name in ("r", "95% CI", "n", "p adjusted")),
    ("", ""),
]


def match_basis(summary: dict, href: str | None) -> str:
    """Which matches the tests used, why the others were not, and the link to the full table."""
    quality = summary.get("data_quality") or {}
    words = (
        f"{plain(quality.get('matches_used'))} of {plain(quality.get('matches'))} matches of the "
        "horizon are used in the tests (the headline and the tested lifts rest on these)"
    )
    unused = quality.get("matches_unused_reasons") or {}
    excluded = quality.get("matches_excluded") or {}
    reasons = {**excluded, **unused}
    if reasons:
        words += "; not used: " + "; ".join(f"{n} {reason}" for reason, n in reasons.items())
    text = escape(words + ".")
    if href:
        text += (
            f' Every match of the horizon, window by window, with whether its test used it and why '
            f'not: <a href="{escape(href)}">the per-match table (CSV)</a>.'
        )
    return f'<p class="basis">{text}</p>'


def match_table(dashboard: pd.DataFrame, facets: Facets) -> str | None:
    """One row per match and region: its lift in each window; the row follows the filters. None
    when the dashboard has no match rows.

    It grows with the horizon (every match kicked off in it), so its cells are made column by
    column, each kick-off once, not row by row through ``itertuples``; and ``render_reports``
    builds it once for all its pages."""
    rows = dashboard[dashboard["record_type"] == "match_window"]
    if rows.empty:
        return None
    present = [w for w in WINDOWS if (rows["window"] == w).any()]
    # The filters judge a row by its match's "during" row (else its first): kick-off, teams, source.
    rank = {name: i for i, name in enumerate(facets.names["region"])}
    rows = rows.assign(
        row=rows.index,
        kickoff=facets.t[rows.index],
        region_rank=rows["region"].map(rank),
        later=rows["window"] != "during",
    )
    keys = rows.sort_values("later", kind="stable").drop_duplicates(["match_id", "region"])
    keys = keys.sort_values(["kickoff", "region_rank", "match_id"], kind="stable")
    lifts = rows.pivot(index=["match_id", "region"], columns="window", values="lift").reindex(
        index=pd.MultiIndex.from_frame(keys[["match_id", "region"]]), columns=present
    )
    kickoffs: dict[float, str] = {}
    teams = zip(keys["home_team"].tolist(), keys["away_team"].tolist(), strict=True)
    cells = [
        [f'<tr data-row="{row}">' for row in keys["row"].tolist()],
        [
            kickoffs.get(t) or kickoffs.setdefault(t, td(minute(t), "when"))
            for t in keys["kickoff"].tolist()
        ],
        [td(str(v)) for v in keys["competition"].tolist()],
        [td(f"{home} v {away}") for home, away in teams],
        [td(str(v)) for v in keys["region"].tolist()],
        *([td(percent(v, True), f"num {trend(v)}") for v in lifts[w].tolist()] for w in present),
        [td(number(v), "num") for v in keys["observed"].tolist()],
        [td(number(v), "num") for v in keys["expected"].tolist()],
        [td(str(v or "–")) for v in keys["data_source"].tolist()],
        ["</tr>"] * len(keys),
    ]
    columns = [("kick-off (UTC)", ""), ("competition", ""), ("match", ""), ("region", "")]
    columns += [(f"lift {w}", "num") for w in present]
    columns += [("orders during", "num"), ("expected", "num"), ("source", "")]
    return table(columns, list(map("".join, zip(*cells, strict=True))))


def matches_section(matches: str | None, summary: dict, href: str | None = None) -> str:
    """The match table (``match_table``, None for no match) under which matches the tests used and
    the link ``href`` to the full per-match table."""
    basis = match_basis(summary, href)
    if matches is None:
        return section("Matches", "", basis + "<p>No match in the dashboard period.</p>")
    return section(
        "Matches",
        "Each match's orders against its no-match baseline, per window. These per-match lifts are "
        "descriptive (one match's observed / expected - 1, no test, no confidence interval); the "
        "tested lifts are above. Follows every filter.",
        basis + matches,
    )


def flag(value: Any) -> bool:
    """A test's yes/no cell: a missing value (the test did not run) reads as no."""
    return bool(value) if pd.notna(value) else False


def minute(epoch_ms: Any) -> str:
    """A kick-off (milliseconds since the epoch, UTC) to the minute."""
    return f"{pd.Timestamp(epoch_ms, unit='ms'):%Y-%m-%d %H:%M}"


def trend(value: Any) -> str:
    if value is None or pd.isna(value) or value == 0:
        return ""
    return "up" if value > 0 else "down"


def outage_facts(outages: dict) -> str:
    """Probable outages in words: how many, how long, how treated, and when."""
    if not outages.get("count"):
        return "none"
    periods = ", ".join(
        f"{p['start']} to {p['end']} ({number(p['expected_orders'])} orders expected)"
        for p in outages.get("periods", [])
    )
    return (
        f"{outages['count']} ({number(outages['hours'])} h, treated as {outages['treated_as']}): "
        f"{periods}"
    )


def anomaly_facts(anomalies: dict) -> str:
    """Anomalies per scale, then the most significant ones with size, p and source."""
    scales = "; ".join(
        f"{scale}: {v['anomalies']} of {v['tested']} tested "
        f"({v['in_match_windows']} in match windows)" + _not_tested(v.get("not_tested", []))
        for scale, v in anomalies["by_scale"].items()
    )
    largest = ", ".join(
        " ".join(filter(None, (a["scale"], a["start"], a["region"], a["window"])))
        + f" {number(a['observed'])} vs {number(a['expected'])} expected"
        f" ({a['lift']:+.0%}, adjusted p {a['p_adjusted']:.2g}, {a['source']})"
        for a in anomalies.get("largest", [])
    )
    return scales + (f". Largest: {largest}" if largest else "")


def _not_tested(items: list[dict]) -> str:
    """", not tested: pre ALL (12 windows), ...: needs at least ..." per distinct reason."""
    by_reason: dict[str, list[str]] = {}
    for item in items:
        what = " ".join(filter(None, (item["window"], item["region"])))
        by_reason.setdefault(item["reason"], []).append(f"{what} ({item['units']})")
    return "".join(
        f", not tested: {', '.join(units)}: {reason}" for reason, units in by_reason.items()
    )


def data_quality(summary: dict) -> str:
    """Every figure of the summary's data_quality (rejected rows included), probable outages and
    the anomalies found."""
    quality = dict(summary.get("data_quality") or {})
    if quality.get("probable_outages"):
        quality["probable_outages"] = outage_facts(quality["probable_outages"])
    if "rejected" in quality:
        quality["rejected"] = rejected_text(quality["rejected"])
    if summary.get("spikes"):
        quality["anomalies"] = anomaly_facts(summary["spikes"])
    facts = "".join(
        f"<dt>{escape(str(key).replace('_', ' '))}</dt>"
        f"<dd>{escape(percent(value) if str(key).endswith('share') else plain(value))}</dd>"
        for key, value in quality.items()
    )
    return section(
        "Data quality",
        "Where the numbers come from: real or mock orders, rows rejected on input, matches left "
        "out and why, probable outages (time without orders where many were expected) and "
        "anomalies (hours, match windows and days the negative binomial count model does not "
        "expect, Benjamini-Hochberg within each scale).",
        f'<div id="quality-chart"></div><dl class="quality">{facts}</dl>',
    )
