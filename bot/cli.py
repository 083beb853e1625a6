"""``gridbot`` command line (also ``python -m bot``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from . import __version__
from .config import DEFAULT_CONFIG_PATH, Config, ConfigError, load_config
from .roster import RosterError

log = logging.getLogger("gridbot")


def _secrets(config: Config) -> list[str]:
    tg = config.channels.telegram
    return [tg.token, tg.secret_token]


def _load(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def cmd_run(args: argparse.Namespace) -> int:
    config = _load(args)
    from .app import GridBot
    from .logging_setup import setup_logging

    setup_logging(args.log_level, _secrets(config))
    bot = GridBot(config)
    try:
        asyncio.run(bot.run_forever())
    except KeyboardInterrupt:
        pass
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from .nlp import Classifier

    config = _load(args)
    classifier = Classifier.from_config(config)
    out = sys.stdout
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        result = classifier.classify(text)
        record = {"text": text, "type": result.type or "none", "name": result.name,
                  "confidence": round(result.confidence, 4), "urgent": result.urgent}
        if args.explain:
            record["tokens"] = list(result.tokens)
            record["matched"] = list(result.matched)
            record["scores"] = {k: round(v, 4) for k, v in result.scores.items()}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def cmd_roster_import(args: argparse.Namespace) -> int:
    from .roster import load_roster
    from .storage import roster_store
    from .storage.db import Database, create_db_engine, upgrade

    config = _load(args)
    roster = load_roster(args.file, request_types=set(config.request_types))
    for warning in roster.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    engine = create_db_engine(config.resolved_database_url)
    upgrade(engine)
    result = Database(engine).run_sync(roster_store.import_roster, roster)
    print(f"imported {result.units} units, {result.people} people, {result.chats} chats"
          f" ({result.deactivated_units} units and {result.deactivated_people} people deactivated)")
    if config.roster and Path(args.file).absolute() != config.roster_path.absolute():
        print(f"note: config key 'roster' points at {config.roster}; `gridbot run` re-imports that file "
              "at start-up", file=sys.stderr)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from .storage.db import create_db_engine, current_revision, upgrade

    config = _load(args)
    engine = create_db_engine(config.resolved_database_url)
    upgrade(engine, args.revision)
    print(f"database at revision {current_revision(engine)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridbot", description="网格助手: grid governance group chat assistant")
    parser.add_argument("--version", action="version", version=f"gridbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", default=str(DEFAULT_CONFIG_PATH), help="config file (default: config.yaml)")
        return p

    run = with_config(sub.add_parser("run", help="start the bot, its web server and channels"))
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.set_defaults(func=cmd_run)

    classify = with_config(sub.add_parser(
        "classify", help="classify UTF-8 lines from stdin; one JSON object per line on stdout"))
    classify.add_argument("--explain", action="store_true", help="add tokens, matched words and scores")
    classify.set_defaults(func=cmd_classify)

    roster = sub.add_parser("roster", help="roster commands")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    imp = with_config(roster_sub.add_parser("import", help="import a roster YAML file into the database"))
    imp.add_argument("file")
    imp.set_defaults(func=cmd_roster_import)

    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = with_config(db_sub.add_parser("upgrade", help="apply schema migrations"))
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, RosterError) as exc:
        print(f"gridbot: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # operator-facing: one clear line, no traceback soup
        from .storage.db import DatabaseError

        if isinstance(exc, DatabaseError):
            print(f"gridbot: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, RuntimeError) and str(exc).startswith("channels."):
            print(f"gridbot: {exc}", file=sys.stderr)
            return 2
        raise
