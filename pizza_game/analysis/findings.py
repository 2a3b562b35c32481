"""What an analysis summary's lifts say, for people: the findings in sentences, the lift per window
as a chart, the headline lift."""

from __future__ import annotations


def findings(summary: dict) -> list[str]:
    """The significant results, one plain sentence each."""
    lifts = [
        f"Orders {w['meaning']}: {w['lift']:+.1%} against the no-match baseline "
        f"(95% CI {w['ci_low']:+.1%} to {w['ci_high']:+.1%}, {w['slots']} match slots)."
        for w in summary.get("lift_by_window", [])
        if w.get("significant") and w.get("lift") is not None
    ]
    relationships = [r["sentence"] for r in summary.get("strongest_relationships", []) if r.get("significant")]
    return lifts + relationships


def lift_chart(summary: dict) -> str:
    """Lift per window as a small bar chart in markdown (the UI shows it on the asset)."""
    rows = ["| window | lift | 95% CI | |", "|---|---:|---|---|"]
    for w in summary.get("lift_by_window", []):
        if w.get("lift") is None:
            rows.append(f"| {w['window']} | not tested | | {w.get('not_run') or ''} |")
            continue
        bar = ("█" * min(40, round(abs(w["lift"]) * 100))) or "▏"
        sign = "+" if w["lift"] >= 0 else "−"
        mark = " *" if w.get("significant") else ""
        rows.append(f"| {w['window']} | {w['lift']:+.1%}{mark} | {w['ci_low']:+.1%} to {w['ci_high']:+.1%} | {sign}{bar} |")
    return "\n".join(rows) + "\n\n\\* significant after Benjamini-Hochberg adjustment within the primary family (alpha 0.05)"


def headline_lift(summary: dict) -> float | None:
    """The lift the headline reports (summary._headline): the largest significant primary lift, else
    the largest estimate; None when no primary test could be run."""
    lifts = [w for w in summary.get("lift_by_window", []) if w.get("lift") is not None]
    chosen = [w for w in lifts if w.get("significant")] or lifts
    return max((w["lift"] for w in chosen), key=abs, default=None)
