"""One default per setting: the analysis settings resource, the core's AnalysisConfig and
settings.DEFAULTS agree, because the resource takes its defaults from the other two."""

from __future__ import annotations

from dataclasses import fields, replace

from pizza_game import settings
from pizza_game.analysis.config import AnalysisConfig
from pizza_game.resources.analysis_settings import AnalysisSettings


def test_the_resource_with_no_configuration_is_the_core_default_analysis() -> None:
    built = AnalysisSettings().config()
    # The resource adds the project's big-match teams and derbies to the core's empty lists.
    core = replace(AnalysisConfig(), big_match_teams=built.big_match_teams, derbies=built.derbies)
    assert built.big_match_teams and built.derbies
    assert {f.name: getattr(built, f.name) for f in fields(built)} == {f.name: getattr(core, f.name) for f in fields(core)}


def test_environment_defaults_are_the_resource_and_core_defaults() -> None:
    resource = AnalysisSettings()
    assert resource.timezone == AnalysisConfig().timezone == settings.DEFAULTS[settings.PIZZA_GAME_ORDERS_TIMEZONE]
    assert resource.outages == AnalysisConfig().outages == settings.DEFAULTS[settings.PIZZA_GAME_OUTAGES]
    assert resource.horizon_days == int(settings.DEFAULTS[settings.PIZZA_GAME_HORIZON_DAYS])
