"""`social-crm`: the project's command line (warehouse, doctor, Superset dashboards, sentiment
and the DAGs' work without Airflow: load, extract, nightly, live).

Developer commands (demo, simulator, local Airflow, the embedded warehouse) come from the
`social_crm_dev` tooling when it is installed: it registers them through the
`social_crm.cli_plugins` entry point, and the production image does not have them.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib.metadata import entry_points
from pathlib import Path

from social_crm import __version__, settings

PLUGIN_GROUP = "social_crm.cli_plugins"
EXTRACT_PLATFORMS = ("facebook", "instagram", "x")  # what `social-crm extract` lands


def cmd_warehouse_up(args: argparse.Namespace) -> int:
    from social_crm import warehouse

    where = warehouse.resolve()
    applied = warehouse.bootstrap()
    print(f"warehouse: {where}")
    print(f"migrations applied now: {', '.join(applied) if applied else 'none (up to date)'}")
    return 0


def cmd_warehouse_url(args: argparse.Namespace) -> int:
    from social_crm import warehouse

    print(warehouse.resolve().libpq(hide_password=not args.show_password))
    return 0


def cmd_warehouse_env(args: argparse.Namespace) -> int:
    from social_crm import warehouse

    print(f"export {warehouse.URL_ENV}={shlex.quote(warehouse.resolve().libpq())}")
    for key, value in warehouse.resolve().dbt_env().items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from social_crm import doctor

    checks = doctor.run_checks()
    for check in checks:
        print(f"[{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    return 0 if all(check.ok for check in checks) else 1


def cmd_check_connections(args: argparse.Namespace) -> int:
    from social_crm import check_connections

    findings = check_connections.run()
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.ok for finding in findings) else 1


def cmd_webhooks_serve(args: argparse.Namespace) -> int:
    from social_crm.receive.serve import serve

    serve(args.host, args.port, args.workers)
    return 0


def cmd_superset_provision(args: argparse.Namespace) -> int:
    from social_crm.serve import superset

    for dashboard in superset.provision(superset.SupersetSettings.from_settings(settings.load())):
        print(f"{dashboard.title}: {dashboard.url}")
    return 0


def cmd_sentiment_score(args: argparse.Namespace) -> int:
    from social_crm.sentiment import cli as sentiment_cli

    workers = settings.load().sentiment_workers
    return sentiment_cli.score_stream(
        sys.stdin.buffer, sys.stdout, sys.stderr, args.batch_size, workers
    )


def cmd_load_crm(args: argparse.Namespace) -> int:
    from social_crm.orchestration import extraction

    folder = args.drop_dir or extraction.crm_drop_dir()
    print(f"load crm: {folder}", flush=True)
    lines: list[str]
    try:
        lines, code = extraction.run_crm(folder=folder), 0
    except extraction.FilesRejected as exc:
        lines, code = exc.lines, 1
    for line in lines:
        print(f"  {line}", flush=True)
    return code


def cmd_export(args: argparse.Namespace) -> int:
    from social_crm import warehouse
    from social_crm.serve.csv_export import export_mart

    with warehouse.connect() as conn:
        if args.out == "-":
            export_mart(conn, args.mart, sys.stdout)
            return 0
        with open(args.out, "w", newline="", encoding="utf-8") as out:
            written = export_mart(conn, args.mart, out)
    print(f"export: {written:,} rows of marts.{args.mart} to {args.out}", file=sys.stderr)
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from social_crm.orchestration import extraction

    platforms: dict[str, tuple[dict[str, Callable], Callable[[str], list[str]]]] = {
        "facebook": (extraction.FACEBOOK_GROUPS, extraction.run_facebook),
        "instagram": (extraction.INSTAGRAM_GROUPS, extraction.run_instagram),
        "x": (extraction.X_GROUPS, extraction.run_x),
    }
    groups, run = platforms[args.platform]
    for group in groups:
        print(f"extract {args.platform} {group} ...", flush=True)
        for line in run(group):
            print(f"  {line}", flush=True)
    return 0


def _print_step(step: str, seconds: float, result: object) -> None:
    shown = result if isinstance(result, str | int) else _short(result)
    print(f"[{step}] {seconds:.1f}s: {shown}", flush=True)


def cmd_nightly(args: argparse.Namespace) -> int:
    from social_crm.orchestration import nightly

    print(f"nightly build{' (full refresh)' if args.full_refresh else ''}", flush=True)
    nightly.run_all(full_refresh=args.full_refresh, as_of=args.as_of, progress=_print_step)
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    from social_crm.orchestration import live
    from social_crm.transform import as_of

    print("live cycle: new messages, the queue, the alerts", flush=True)
    interval = as_of.walk_interval(args.as_of)
    live.run_all(as_of=args.as_of, interval=interval, progress=_print_step)
    return 0


def _as_of(text: str) -> datetime:
    from social_crm.transform import as_of

    try:
        return as_of.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=_as_of,
        metavar="TIMESTAMP",
        help="the moment the run describes, ISO 8601 with its UTC offset (default: now)",
    )


def _short(result: object) -> str:
    """A step's result on one line: a mapping's items, a list's length."""
    if isinstance(result, dict):
        return ", ".join(f"{k} {v}" for k, v in result.items())
    if isinstance(result, list | tuple):
        return f"{len(result)} done" if result else "nothing to do"
    return str(result)


def _plugins() -> list:
    return [entry.load() for entry in entry_points(group=PLUGIN_GROUP)]


def build_parser(plugins: Sequence = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="social-crm", description="Social CRM data pipeline: warehouse, checks, BI connection."
    )
    parser.add_argument("--version", action="version", version=f"social-crm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    wh = sub.add_parser("warehouse", help="the PostgreSQL warehouse (WAREHOUSE_URL)")
    wh_sub = wh.add_subparsers(dest="action", required=True)
    wh_sub.add_parser("up", help="apply the schema migrations (and the BI login)").set_defaults(
        func=cmd_warehouse_up
    )
    url = wh_sub.add_parser("url", help="print a URL psql and SQLAlchemy accept")
    url.add_argument("--show-password", action="store_true", help="print the password too")
    url.set_defaults(func=cmd_warehouse_url)
    wh_sub.add_parser("env", help="print shell exports of the warehouse").set_defaults(
        func=cmd_warehouse_env
    )
    sub.add_parser("doctor", help="check settings, versions, warehouse, dbt").set_defaults(
        func=cmd_doctor
    )
    sub.add_parser(
        "check-connections",
        help="call each API endpoint once with the configured tokens: what can they read?",
    ).set_defaults(func=cmd_check_connections)
    hooks = sub.add_parser("webhooks", help="the Meta webhook receiver (docs/webhooks.md)")
    hooks_sub = hooks.add_subparsers(dest="action", required=True)
    serve = hooks_sub.add_parser(
        "serve", help="receive Meta's deliveries and land them in raw.webhook_events"
    )
    serve.add_argument("--host", default="127.0.0.1", help="where to listen (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8790, help="the port (default 8790)")
    serve.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    serve.set_defaults(func=cmd_webhooks_serve)
    sub.add_parser(
        "superset-provision",
        help="load the starter dashboards into Superset, connected as the bi_reader login"
        " (docs/bi.md; env vars)",
    ).set_defaults(func=cmd_superset_provision)
    sentiment = sub.add_parser("sentiment", help="language, sentiment and intent of messages")
    sentiment_sub = sentiment.add_subparsers(dest="action", required=True)
    score = sentiment_sub.add_parser(
        "score",
        help='score JSON lines {"id", "text", "lang"?} from stdin; write them with "lang",'
        ' "sentiment", "score" and "intent" to stdout',
    )
    score.add_argument("--batch-size", type=int, default=10_000, help="lines scored at a time")
    score.set_defaults(func=cmd_sentiment_score)
    # the DAGs' work without Airflow (cron, debugging)
    load = sub.add_parser("load", help="land files into raw, as the load DAG does")
    load_sub = load.add_subparsers(dest="source", required=True)
    crm = load_sub.add_parser("crm", help="land the CRM export files of the drop folder")
    crm.add_argument("--drop-dir", type=Path, help="the folder (default: CRM_DROP_DIR)")
    crm.set_defaults(func=cmd_load_crm)
    export = sub.add_parser(
        "export", help="a published mart as CSV, text cells safe for spreadsheets"
    )
    export.add_argument("mart", help="the mart's name, e.g. people_segments")
    export.add_argument("--out", default="-", help="the CSV file to write (default: stdout)")
    export.set_defaults(func=cmd_export)
    extract = sub.add_parser("extract", help="extract a platform into raw, as its DAG does")
    extract.add_argument("platform", choices=EXTRACT_PLATFORMS)
    extract.set_defaults(func=cmd_extract)
    night = sub.add_parser("nightly", help="the nightly build: gate, dbt, scoring, publish")
    night.add_argument(
        "--full-refresh", action="store_true", help="rebuild the incremental models from raw"
    )
    _add_as_of(night)
    night.set_defaults(func=cmd_nightly)
    live = sub.add_parser("live", help="one live cycle: new messages, the queue, the alerts")
    _add_as_of(live)
    live.set_defaults(func=cmd_live)
    for plugin in plugins:
        plugin.add_commands(sub, wh_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        loaded = settings.load()
        plugins = _plugins()
        parser = build_parser(plugins)  # a plugin's defaults come from its settings
    except settings.SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        for plugin in plugins:
            plugin.before_command(args)
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one clear line instead of a traceback
        if loaded.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        print("(set SOCIAL_CRM_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
