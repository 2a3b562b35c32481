"""Every CSV goes through codecs.to_csv: cells a spreadsheet would run as formulas are neutralised."""

import io

import pandas as pd

from pizza_game.storage.codecs import to_csv


def test_formula_cells_get_an_apostrophe_and_numbers_stay_numbers():
    assert b"'\rcmd" in to_csv(pd.DataFrame({"region": ["\rcmd"]}))
    cells = ["=HYPERLINK(\"http://x\")", "+SUM(A1)", "@SUM(A1)", "-x", "\tcmd", "-3", "North"]
    table = pd.DataFrame({"region": cells, "orders": range(len(cells))})
    back = pd.read_csv(io.BytesIO(to_csv(table)), keep_default_na=False)
    assert back["region"].tolist()[:5] == ["'" + c for c in cells[:5]]
    assert back["region"].tolist()[5:] == ["-3", "North"]
    assert back["orders"].tolist() == list(range(len(cells)))
