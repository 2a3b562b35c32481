"""Every CSV goes through csv_text.to_csv: cells a spreadsheet would run as formulas are neutralised."""

import io

import pandas as pd

from pizza_game.storage.csv_text import to_csv


def test_formula_cells_get_an_apostrophe_and_numbers_stay_numbers():
    assert b"'\rcmd" in to_csv(pd.DataFrame({"region": ["\rcmd"]}))
    cells = ["=HYPERLINK(\"http://x\")", "+SUM(A1)", "@SUM(A1)", "-x", "\tcmd", "-3", "North"]
    table = pd.DataFrame({"region": cells, "orders": range(len(cells))})
    back = pd.read_csv(io.BytesIO(to_csv(table)), keep_default_na=False)
    assert back["region"].tolist()[:5] == ["'" + c for c in cells[:5]]
    assert back["region"].tolist()[5:] == ["-3", "North"]
    assert back["orders"].tolist() == list(range(len(cells)))


def test_mixed_object_and_string_columns_are_neutralised_alike():
    # Values that are not text (None, a negative number) beside text cells, in object and string columns.
    cells = [None, -2.5, "=1+1", "ok"]
    for dtype in (object, "string"):
        text = to_csv(pd.DataFrame({"note": pd.Series(cells, dtype=dtype), "n": 1}))
        assert text.splitlines()[1:] == [b",1", b"-2.5,1", b"'=1+1,1", b"ok,1"], dtype
    assert to_csv(pd.DataFrame({"note": [None, -3, "-4"], "n": 1})).splitlines()[1:] == [b",1", b"-3,1", b"-4,1"]


def test_the_table_written_is_left_as_it_was():
    table = pd.DataFrame({"a": ["=1+1", "x"], "b": ["y", "@z"], "n": [1, 2]})
    before = table.copy()
    assert to_csv(table) == b"a,b,n\n'=1+1,y,1\nx,'@z,2\n"
    pd.testing.assert_frame_equal(table, before)


def test_neutralised_columns_keep_their_dtypes():
    from pizza_game.storage.csv_text import _spreadsheet_safe

    table = pd.DataFrame({str(t): pd.Series(["=1+1", "x"], dtype=t) for t in (object, "string", "str")})
    safe = _spreadsheet_safe(table)
    assert safe.dtypes.tolist() == table.dtypes.tolist()
    assert [safe[name].tolist() for name in safe] == [["'=1+1", "x"]] * 3


def test_only_columns_left_as_they_were_hand_on_their_factorization():
    """The CSV writer takes the codes of a text column from the safety pass only if the pass
    changed nothing in it: a neutralised column's cells are its new ones."""
    from pizza_game.storage.csv_text import _spreadsheet_safe

    table = pd.DataFrame({"risky": ["=1+1", "x", "=1+1"], "number": ["-3", "y", None], "plain": ["a", None, "a"], "n": [1, 2, 3]})
    factorized: dict = {}
    _spreadsheet_safe(table, factorized)
    assert sorted(factorized) == [1, 2]
    codes, distinct = factorized[2]
    assert codes.tolist() == [0, -1, 0] and list(distinct) == ["a"]
    assert to_csv(table) == b"risky,number,plain,n\n'=1+1,-3,a,1\nx,y,,2\n'=1+1,,a,3\n"
