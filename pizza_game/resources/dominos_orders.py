"""The orders API resource: URL, key and rate limits of the orders source."""

from __future__ import annotations

import dagster as dg

from pizza_game.collectors.dominos_orders import DominosOrdersClient, dominos_orders_client


class DominosOrdersResource(dg.ConfigurableResource):
    """The orders API (contract in the README), called with a bearer token."""

    api_url: str | None = None
    api_key: str | None = None
    max_requests_per_minute: int = 10
    max_requests_per_hour: int = 1000

    def client(self) -> DominosOrdersClient:
        """Raises CollectorNotConfigured (with the variable to set) when the URL or key is missing."""
        return dominos_orders_client(
            self.api_url,
            self.api_key,
            per_minute=self.max_requests_per_minute,
            per_hour=self.max_requests_per_hour,
        )
