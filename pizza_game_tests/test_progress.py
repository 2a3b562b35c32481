"""Progress lines every tenth of a long loop; none for short ones."""

from __future__ import annotations

from pizza_game.progress import Progress


def test_a_long_loop_reports_every_tenth_and_at_the_end() -> None:
    lines: list[str] = []
    progress = Progress("merged days", 305, lines.append)
    for _ in range(305):
        progress.advance()
    assert len(lines) == 10
    assert lines[0] == "merged days: 31/305 (10%)"
    assert lines[-1] == "merged days: 305/305 (100%)"
    assert lines[-2] == "merged days: 275/305 (90%)"


def test_batches_report_each_tenth_they_cross() -> None:
    lines: list[str] = []
    progress = Progress("hours written", 1000, lines.append)
    progress.advance(250)
    progress.advance(750)
    assert lines == ["hours written: 250/1,000 (25%)", "hours written: 1,000/1,000 (100%)"]


def test_a_short_loop_stays_quiet() -> None:
    lines: list[str] = []
    progress = Progress("hours written", 24, lines.append)
    for _ in range(24):
        progress.advance()
    assert lines == []
