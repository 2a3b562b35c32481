"""The report tests' week of merged mock data, with one team renamed to a hostile string."""

from __future__ import annotations

import pytest

from pizza_game_tests.report.synthetic import HOSTILE_TEAM, Synthetic, synthetic_dashboard


@pytest.fixture(scope="session")
def week() -> Synthetic:
    return synthetic_dashboard("2024-09-14", 8, rename={"Arsenal FC": HOSTILE_TEAM})
