"""The `pizza-game` command."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from pizza_game import settings

USAGE_ERROR = 2
RUN_FAILED = 1
# The text of Dagster's BetaWarning and PreviewWarning (dagster_shared/utils/warnings.py).
BETA_OR_PREVIEW = r".* is currently in (beta|preview), and may have breaking changes"


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
    run.add_argument("--start", type=_date, help=f"first day (UTC, YYYY-MM-DD); default: the {settings.DEFAULTS[settings.PIZZA_GAME_RUN_DAYS]} days ending --end (${settings.PIZZA_GAME_RUN_DAYS})")
    run.add_argument("--end", type=_date, help="last day, inclusive (UTC, YYYY-MM-DD); default: yesterday")
    run.add_argument("--data-dir", help=f"local data root (default ${settings.PIZZA_GAME_DATA_DIR} or ./pizza-game-data)")
    run.add_argument("--seed", type=int, help=f"seed of the mock data generator (default ${settings.PIZZA_GAME_SEED} or 42)")
    run.add_argument("--quiet", action="store_true", help="only print the final summary")
    run.add_argument(
        "--ephemeral-instance",
        action="store_true",
        help="keep the Dagster runs in memory instead of the instance the UI shows (see `pizza-game ui`)",
    )

    ui = commands.add_parser("ui", help="start the Dagster UI (dg dev) on the instance `pizza-game run` uses")
    ui.add_argument("dev_args", nargs=argparse.REMAINDER, help="passed on to dg dev (e.g. -p 3001 -h 0.0.0.0; --help for all)")

    importing = commands.add_parser("import", help="import your own orders or matches (CSV or JSON) as real data")
    importing.add_argument("kind", choices=("orders", "matches"))
    importing.add_argument("file", help="CSV, JSON, a saved football-data.org response or an openfootball file")
    importing.add_argument("--timezone", help="IANA zone of timestamps without an offset (e.g. Europe/London)")
    importing.add_argument(
        "--date-format", help="how dates other than ISO 8601 are written, in strptime codes (e.g. %%d/%%m/%%Y or %%m/%%d/%%Y)"
    )
    importing.add_argument(
        "--ambiguous",
        choices=("reject", "earlier", "later"),
        default="reject",
        help="local times that happen twice (clocks going back): reject them (default), or take the earlier (summer time) or later instant",
    )
    importing.add_argument(
        "--outlier-days", type=float, help="reject rows more than this many days from the rest of the file as suspect (default 31 for orders, 183 for matches)"
    )
    importing.add_argument("--data-dir", help="local data root (default: as for run)")

    backfill = commands.add_parser("backfill", help="fan a date range out to the deployed backfill Lambda, one invocation per day")
    backfill.add_argument(
        "--lambda", dest="function", required=True, help="name or ARN of the backfill function (stack output BackfillFunctionName, e.g. pizza-game-backfill)"
    )
    backfill.add_argument("--start", type=_date, required=True, help="first day (UTC, YYYY-MM-DD)")
    backfill.add_argument("--end", type=_date, required=True, help="last day, inclusive (UTC, YYYY-MM-DD)")
    backfill.add_argument("--max-concurrency", type=int, default=8, help="invocations in flight at once (default 8)")
    return parser


def command_run(args: argparse.Namespace) -> int:
    from pizza_game.definitions import make_definitions
    from pizza_game.instance import default_instance, ephemeral_instance
    from pizza_game.runner import PipelineError, run_pipeline
    from pizza_game.storage.store import StorageError

    end = args.end or (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)).date()
    run_days = settings.env(settings.PIZZA_GAME_RUN_DAYS)
    assert run_days is not None, "PIZZA_GAME_RUN_DAYS has a default in settings.DEFAULTS"
    start = args.start or end - timedelta(days=int(run_days) - 1)
    if end < start:
        raise CliError(f"--end {end} is before --start {start}")
    defs = make_definitions(data_dir=args.data_dir, seed=args.seed)
    storage = (defs.resources or {})["storage"]
    try:
        storage.store().check()
    except StorageError as error:
        raise CliError(str(error)) from None
    print(f"pizza-game: {start} to {end} into {storage.describe()}", file=sys.stderr, flush=True)
    with ephemeral_instance() if args.ephemeral_instance else default_instance() as instance:
        try:
            summary = run_pipeline(
                pd.Timestamp(start, tz="UTC"),
                pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1),
                defs=defs,
                instance=instance,
                log_level="ERROR" if args.quiet else "INFO",
            )
        except ValueError as error:
            raise CliError(str(error)) from None
        except PipelineError as error:
            print(f"pizza-game: {error}", file=sys.stderr)
            return RUN_FAILED
        where = "in memory only (--ephemeral-instance)" if instance.is_ephemeral else instance.root_directory
    print(summary.text())
    print(f"Dagster runs {', '.join(summary.run_ids)}: {where}")
    return 0


def command_ui(args: argparse.Namespace) -> int:
    """Replaces this process with `dg dev` on the default instance (instance.py).

    In a checkout, dg finds the project in pyproject.toml ([tool.dg]) and loads the checkout's
    definitions; installed elsewhere, it is told the module.
    """
    from pizza_game.event_log import BATCH_SIZE, BATCH_SIZE_VARIABLE, stores_batches
    from pizza_game.instance import checkout_root, dagster_environment, instance_home, prepare_home

    dg = Path(sys.executable).with_name("dg")
    if not dg.is_file():
        raise CliError(f"{dg} is missing: install the UI extra (pip install 'pizza-game[ui]', or make ui)")
    home = prepare_home(instance_home())
    root = checkout_root()
    target = [] if root else ["-m", "pizza_game.definitions"]
    if root:
        os.chdir(root)
    print(f"pizza-game: Dagster UI on the instance in {home}", file=sys.stderr, flush=True)
    # The daemon creates the UI's backfill runs: it needs the instance's Dagster settings too.
    environment = {**dagster_environment(), "DAGSTER_HOME": str(home)}
    if stores_batches(home):
        # Its processes store events as the CLI's runs do: a range's materializations at once.
        environment.setdefault(BATCH_SIZE_VARIABLE, BATCH_SIZE)
    os.execve(dg, [str(dg), "dev", *target, *args.dev_args], environment)


def command_import(args: argparse.Namespace) -> int:
    from pizza_game.collectors.drop_area import fingerprint
    from pizza_game.collectors.file_import import (
        ImportFileError,
        ReadOptions,
        import_matches,
        import_orders,
    )
    from pizza_game.definitions import make_definitions
    from pizza_game.storage.landing import land_import, unfinished_import
    from pizza_game.storage.store import StorageError
    from pizza_game.team_names import unknown_teams, unknown_teams_text

    reader, asset = (import_orders, "raw_orders") if args.kind == "orders" else (import_matches, "raw_matches")
    options = ReadOptions(args.timezone, args.date_format, args.ambiguous, args.outlier_days)
    try:
        normalized = reader(args.file, options=options)
        digest = fingerprint(Path(args.file).read_bytes())
        store = (make_definitions(data_dir=args.data_dir).resources or {})["storage"].store()
        store.check()
        earlier = unfinished_import(store, asset, digest)
        if earlier:
            print(f"an import of this file started {earlier.get('started')} did not finish; importing it again completes it")
        landed = land_import(store, asset, normalized, source_name=args.file, fingerprint=digest)
    except (ValueError, StorageError, OSError) as error:
        text = str(error) if isinstance(error, (ImportFileError, StorageError)) else f"{args.file}: {error}"
        raise CliError(text) from None
    print(f"imported {landed.rows:,} {args.kind} from {args.file} as real data into {store.uri('')}")
    if landed.partitions:
        print(f"  {asset} partitions {landed.partitions[0]} to {landed.partitions[-1]} ({len(landed.partitions):,} touched)")
    if len(landed.rejected):
        print(f"  {len(landed.rejected):,} rows rejected and kept with their reasons:")
        for reason, count in landed.rejected["reason"].value_counts().items():
            print(f"    {count:,} × {reason}")
        if landed.rejected_key:
            print(f"  rejected rows outside the imported partitions are kept in {store.uri(landed.rejected_key)}")
    if args.kind == "matches" and (unknown := unknown_teams(normalized.rows)):
        print(f"  {unknown_teams_text(unknown)}")
    if landed.partitions:
        first, last = landed.partitions[0][:10], landed.partitions[-1][:10]
        print(f"next: pizza-game run --start {first} --end {last}")
    return 0 if landed.rows else USAGE_ERROR


def command_backfill(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError

    from pizza_game.lambda_backfill import invoke_backfill

    if args.end < args.start:
        raise CliError(f"--end {args.end} is before --start {args.start}")
    try:
        client = boto3.client("lambda")
        results = invoke_backfill(
            args.function, args.start, args.end + timedelta(days=1), lambda_client=client, max_concurrency=args.max_concurrency
        )
    except (ValueError, BotoCoreError) as error:
        raise CliError(str(error)) from None
    for result in results:
        print(f"{result.partition}: {'queued' if result.accepted else 'FAILED ' + str(result.error)}")
    failed = [r for r in results if not r.accepted]
    print(f"{len(results) - len(failed)} of {len(results)} days queued on {args.function}")
    return RUN_FAILED if failed else 0


COMMANDS = {"run": command_run, "ui": command_ui, "import": command_import, "backfill": command_backfill}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ui"]:
        # Everything after `ui` is dg dev's (-p 3001, -h 0.0.0.0, --help): argparse would refuse
        # options it does not know and take -h for its own help.
        args = argparse.Namespace(command="ui", dev_args=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    # Dagster flags some of the APIs we use (single-run backfill policies) as beta or preview; a
    # CLI user cannot act on that, so those warnings (only those: deprecations still show) stay
    # out of their terminal. Matched by message, so the command need not import Dagster first.
    warnings.filterwarnings("ignore", message=BETA_OR_PREVIEW)
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
