"""Deprecations in the project's own code fail the tests (pyproject.toml's filterwarnings)."""

from __future__ import annotations

import warnings

import pytest


def test_a_deprecation_from_the_project_fails_the_tests():
    # pyproject.toml's filterwarnings: attributed to our modules, a DeprecationWarning or a
    # FutureWarning (Dagster's SupersessionWarning, pandas' deprecations) is an error...
    for category in (DeprecationWarning, FutureWarning):
        for module in ("pizza_game.assets.raw", "pizza_game_tests.test_layers"):
            with pytest.raises(category):
                warnings.warn_explicit("old_api is deprecated", category, "raw.py", 1, module=module)
    # ...while one a library raises inside itself stays a warning (a library's business).
    with pytest.warns(DeprecationWarning):
        warnings.warn_explicit("dagster_run is deprecated", DeprecationWarning, "init.py", 1, module="dagster._core.init")
