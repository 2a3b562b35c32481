"""The Dagster resources and the IO manager, one file each (configured in definitions.py)."""
