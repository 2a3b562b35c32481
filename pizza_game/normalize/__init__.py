"""How any source's loosely typed records become the canonical tables of ``pizza_game.schema``.

Every collector (API, file import, generator) ends in ``orders.normalize_orders`` or
``matches.normalize_matches``: good rows come back typed and de-duplicated, bad rows come back in a
``rejected`` table with the original record, the reason and where it came from. Nothing is dropped
silently.
"""
