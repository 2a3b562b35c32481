"""What every asset shares: the group the lineage view draws and the owners."""

OWNERS = ["team:pizza-game"]
# One group for the whole graph: Dagster 1.13's lineage view draws several groups collapsed, so the
# nine assets show at first sight only when they share one. Kinds and descriptions tell them apart.
GROUP = "pizza_game"
