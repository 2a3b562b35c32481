"""The mock data resource: the generator's seed and when the collectors fall back to it."""

from __future__ import annotations

import dagster as dg


class MockDataResource(dg.ConfigurableResource):
    """The deterministic generator used when real data is missing, if the fallback is on."""

    seed: int = 42
    fallback: bool = True
    # An API that answers with an error (401, an HTML page, an oversized body) fails the run
    # unless PIZZA_GAME_FALLBACK=on was set explicitly; an outage or a missing key never does.
    fallback_on_api_errors: bool = False
