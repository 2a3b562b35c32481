"""The analysis outputs' IO manager parses what a run loads twice once, and only that."""

from __future__ import annotations

import json

from pizza_game.resources.dated_outputs import parsed_once


class CountingParse:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, data: bytes) -> object:
        self.calls += 1
        return json.loads(data)


def test_a_run_parses_the_same_bytes_at_a_key_once() -> None:
    parse = CountingParse()
    first = parsed_once("run-a", "k", b'{"x": 1}', parse)
    assert parsed_once("run-a", "k", b'{"x": 1}', parse) is first
    assert parse.calls == 1


def test_other_bytes_another_key_or_another_run_are_parsed_again() -> None:
    parse = CountingParse()
    parsed_once("run-b", "k", b'{"x": 1}', parse)
    assert parsed_once("run-b", "k", b'{"x": 2}', parse) == {"x": 2}
    assert parsed_once("run-b", "other", b'{"x": 2}', parse) == {"x": 2}
    assert parsed_once("run-c", "k", b'{"x": 2}', parse) == {"x": 2}
    assert parse.calls == 4
