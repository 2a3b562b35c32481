"""The `pizza-game` command."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta

import pandas as pd

from pizza_game import settings

USAGE_ERROR = 2
RUN_FAILED = 1


class CliError(Exception):
    """A problem with what the user asked for: printed as one line, exit code 2."""


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pizza-game",
        description="Do football matches move pizza orders? Collect, merge, analyse and publish.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="materialize the whole asset graph for a date range")
    run.add_argument("--start", type=_date, help="first day (UTC, YYYY-MM-DD); default: 14 days before --end")
    run.add_argument("--end", type=_date, help="last day, inclusive (UTC, YYYY-MM-DD); default: yesterday")
    run.add_argument("--data-dir", help=f"local data root (default ${settings.PIZZA_GAME_DATA_DIR} or ./pizza-game-data)")
    run.add_argument("--seed", type=int, help=f"seed of the mock data generator (default ${settings.PIZZA_GAME_SEED} or 42)")
    run.add_argument("--quiet", action="store_true", help="only print the final summary")
    return parser


def command_run(args: argparse.Namespace) -> int:
    from pizza_game.definitions import make_definitions
    from pizza_game.runner import PipelineError, run_pipeline
    from pizza_game.storage.store import StorageError

    end = args.end or (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)).date()
    start = args.start or end - timedelta(days=13)
    if end < start:
        raise CliError(f"--end {end} is before --start {start}")
    defs = make_definitions(data_dir=args.data_dir, seed=args.seed)
    storage = defs.resources["storage"]
    try:
        storage.store().check()
    except StorageError as error:
        raise CliError(str(error)) from None
    print(f"pizza-game: {start} to {end} into {storage.describe()}", file=sys.stderr, flush=True)
    try:
        summary = run_pipeline(
            pd.Timestamp(start, tz="UTC"),
            pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1),
            defs=defs,
            log_level="ERROR" if args.quiet else "INFO",
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    except PipelineError as error:
        print(f"pizza-game: {error}", file=sys.stderr)
        return RUN_FAILED
    print(summary.text())
    return 0


COMMANDS = {"run": command_run}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CliError as error:
        print(f"pizza-game: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("pizza-game: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
