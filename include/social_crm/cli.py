"""`social-crm`: the project's command line (warehouse, doctor, Metabase, sentiment scoring).

Developer commands (demo, simulator, local Airflow, the embedded warehouse) come from the
`social_crm_dev` tooling when it is installed: it registers them through the
`social_crm.cli_plugins` entry point, and the production image does not have them.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from social_crm import __version__, settings

PLUGIN_GROUP = "social_crm.cli_plugins"


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
    from social_crm.extract import check

    findings = check.run()
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.ok for finding in findings) else 1


def cmd_metabase_connect(args: argparse.Namespace) -> int:
    from social_crm.serve import metabase

    print(metabase.connect(metabase.MetabaseSettings.from_settings(settings.load())))
    return 0


def cmd_sentiment_score(args: argparse.Namespace) -> int:
    from social_crm.sentiment import cli as sentiment_cli

    return sentiment_cli.score_stream(sys.stdin, sys.stdout, sys.stderr, args.batch_size)


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
    sub.add_parser(
        "metabase-connect",
        help="add or update the marts connection in Metabase, as the bi_reader login (env vars)",
    ).set_defaults(func=cmd_metabase_connect)
    sentiment = sub.add_parser("sentiment", help="language, sentiment and intent of messages")
    sentiment_sub = sentiment.add_subparsers(dest="action", required=True)
    score = sentiment_sub.add_parser(
        "score",
        help='score JSON lines {"id", "text", "lang"?} from stdin; write them with "lang",'
        ' "sentiment", "score" and "intent" to stdout',
    )
    score.add_argument("--batch-size", type=int, default=10_000, help="lines scored at a time")
    score.set_defaults(func=cmd_sentiment_score)
    for plugin in plugins:
        plugin.add_commands(sub, wh_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        loaded = settings.load()
    except settings.SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    plugins = _plugins()
    args = build_parser(plugins).parse_args(argv)
    try:
        for plugin in plugins:
            plugin.before_command(args)
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        if loaded.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        print("(set SOCIAL_CRM_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
