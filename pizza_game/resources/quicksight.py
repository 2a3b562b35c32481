"""The QuickSight resource: which datasets to refresh after a publish, within the daily quota."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from pizza_game.quicksight.refresh import RefreshResult, dataset_id, refresh_dataset


class QuickSightResource(dg.ConfigurableResource):
    """The QuickSight datasets refreshed after each publish, when an account and dataset are set.

    ``dataset_id`` is the prefix of the datasets' ids (``<prefix>-orders-hourly`` and so on, as
    the template creates them). Refreshes are spaced at least a day / ``daily_quota`` apart
    (every 3 h with the Standard edition's 8), counted from QuickSight's own ingestions.
    """

    account_id: str | None = None
    dataset_id: str | None = None
    daily_quota: int = 8
    region_name: str | None = None

    def refresh(self, datasets: list[str]) -> dict[str, RefreshResult]:
        client = None
        if self.account_id and self.dataset_id:
            # Imported only here: boto3 costs every command's start, and most never refresh.
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "quicksight",
                region_name=self.region_name,
                config=Config(retries={"mode": "standard", "max_attempts": 4}),
            )
        return {
            name: refresh_dataset(
                client,
                account_id=self.account_id,
                data_set_id=dataset_id(self.dataset_id, name) if self.dataset_id else None,
                quota=self.daily_quota,
                min_interval=timedelta(days=1) / self.daily_quota,
            )
            for name in datasets
        }
