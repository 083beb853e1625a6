"""``gridbot`` command line (also ``python -m bot``)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .config import DEFAULT_CONFIG_PATH, Config, ConfigError, load_config
from .households import HouseholdFileError
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
    from .learning import installed_model
    from .nlp import Classifier

    config = _load(args)
    model = None if args.shipped else installed_model(config)[1]
    classifier = Classifier.from_config(config, model=model)
    out = sys.stdout
    for line in sys.stdin:
        text = line.rstrip("\r\n")
        if args.explain:
            record = {"input": text, **classifier.explain(text)}
        else:
            result = classifier.classify(text)
            record = {"text": text, "type": result.type or "none", "name": result.name,
                      "confidence": round(result.confidence, 4), "urgent": result.urgent}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def _print_evaluation(title: str, evaluation, names: dict[str, str]) -> None:  # noqa: ANN001
    from .nlp.evaluation import format_report

    print(title)
    print(format_report(evaluation.report, names=names))
    u = evaluation.urgency
    if u.urgent or u.calm:
        print(f"urgent: recall {u.recall:.3f} ({u.found}/{u.urgent}), false alarms {u.false_rate:.3%} "
              f"({u.false_alarms}/{u.calm})")


def cmd_eval(args: argparse.Namespace) -> int:
    from .learning import evaluate, installed_model, labels_of
    from .nlp import Classifier
    from .nlp.labelled import CorpusError, parse_tsv

    config = _load(args)
    path = Path(args.file)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"FILE {path}: cannot be read as UTF-8 text ({exc})") from exc
    try:
        examples = parse_tsv(lines, labels=labels_of(config), source=str(path))
    except CorpusError as exc:
        raise ConfigError(str(exc)) from exc
    if not examples:
        raise ConfigError(f"FILE {path}: no labelled lines (expected label<TAB>text)")
    model, which = None, "shipped model"
    if not args.shipped:
        model_id, model = installed_model(config)
        which = f"installed model #{model_id}" if model_id is not None else which
    evaluation = evaluate(Classifier.from_config(config, model=model), examples)
    names = {key: f"{rt.name}({key})" for key, rt in config.request_types.items()}
    _print_evaluation(f"{path}: {len(examples)} messages, {which}", evaluation, names)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from .clock import Clock
    from .learning import configured, fit_classifier_model, retrain
    from .nlp.labelled import shipped

    config = _load(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    names = {key: f"{rt.name}({key})" for key, rt in config.request_types.items()}
    if args.output:
        # Developers: rebuild the shipped model (bot/nlp/model.npz) from the corpus alone.
        skipped: dict[str, int] = {}
        usable = configured(config, shipped("train"), skipped)
        for label, n in sorted(skipped.items()):
            print(f"left out {n} corpus line(s) labelled {label!r}: not a request type in the config")
        model = fit_classifier_model(config, usable, folds=args.folds)
        Path(args.output).write_bytes(model.to_bytes())
        print(f"wrote {args.output}: {model.meta['features']} features, threshold {model.threshold}, "
              f"cross-validated macro-F1 {model.meta.get('cv_macro_f1')}")
        return 0
    bot = _offline_bot(config)
    try:
        outcome = retrain(config, bot.db, Clock().now(), install=not args.dry_run, min_gain=args.min_gain,
                          folds=args.folds)
    finally:
        bot.engine.dispose()
    db_total = sum(outcome.database_examples.values())
    sources = ", ".join(f"{k} {v}" for k, v in sorted(outcome.database_examples.items())) or "none yet"
    print(f"trained on {outcome.corpus_examples} corpus examples + {db_total} from the database ({sources}); "
          f"{outcome.replaced} corpus line(s) overridden")
    for label, n in sorted(outcome.skipped.items()):
        print(f"  skipped {n} example(s) labelled {label!r}: no longer a request type in the config")
    before, after = outcome.before.report, outcome.after.report
    _print_evaluation("before (model in use), on the shipped test split:", outcome.before, names)
    _print_evaluation("after (retrained), on the same test split:", outcome.after, names)
    print(f"macro-F1 {before.macro_f1:.4f} -> {after.macro_f1:.4f}")
    if outcome.installed_id is not None:
        print(f"installed as model #{outcome.installed_id}; running bots switch to it within "
              f"{config.classifier.reload_check_seconds:g} s")
    elif args.dry_run:
        print("dry run: nothing installed")
    else:
        print("not installed: the retrained model is worse than the one in use")
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


def cmd_households_import(args: argparse.Namespace) -> int:
    from . import cadence
    from .households import load_households
    from .storage import households as household_store
    from .storage.db import Database, create_db_engine, upgrade
    from .storage.roster_index import load_index

    config = _load(args)
    engine = create_db_engine(config.resolved_database_url)
    upgrade(engine)
    db = Database(engine)
    roster = db.run_sync(load_index)
    if not roster.units:
        raise HouseholdFileError("the database has no roster yet; run `gridbot roster import FILE` first")
    loaded = load_households(args.file, units={u.id: u.name for u in roster.units.values()},
                             people={p.id: p.name for p in roster.people.values()})
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    cadences = config.visits.cadences
    result = db.run_sync(
        household_store.import_households, loaded.records, now=datetime.now(timezone.utc), cadences=cadences,
        roles_of=lambda pid: roster.people[pid].roles if pid in roster.people else (),
        version=cadence.version(cadences, {p.id: p.roles for p in roster.people.values()}),
        deactivate_missing=args.deactivate_missing)
    print(f"imported {len(loaded.records)} households: {result.created} new, {result.updated} updated"
          f", {result.deactivated} deactivated")
    return 0


def _parse_now(value: str, config: Config) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "T", 1))
    except ValueError:
        raise ConfigError(f"--now: {value!r} is not a time; write e.g. 2026-12-10T09:00 "
                          f"(local time in {config.timezone}) or 2026-12-10T01:00+00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=config.tz)


def cmd_jobs_list(args: argparse.Namespace) -> int:
    from .clock import utcnow
    from .scheduler import JOBS

    config = _load(args)
    now = _parse_now(args.now, config) if args.now else utcnow()
    local = now.astimezone(config.tz)
    print(f"scheduled jobs (times in {config.timezone}, as of {local:%Y-%m-%d %H:%M}):")
    for job in JOBS.values():
        trigger = job.trigger(config)
        fire = trigger.get_next_fire_time(None, local)
        print(f"  {job.name:<12} next run {fire.astimezone(config.tz):%Y-%m-%d %H:%M}  ({job.description})"
              if fire else f"  {job.name:<12} no further runs  ({job.description})")
    print("  every job also runs once at start-up.")
    for line in _upcoming(config, now):
        print(line)
    return 0


def _upcoming(config: Config, now: datetime) -> list[str]:
    """Upcoming talk days and what the reminder jobs last sent, from the database."""
    from .storage import reminders
    from .storage.db import Database, create_db_engine, current_revision, head_revision
    from .storage.roster_index import load_index
    from .talk_calendar import next_talk_day, talk_day_units
    from .worktime import WorkCalendar, parse_work_hours

    engine = create_db_engine(config.resolved_database_url)
    try:
        if current_revision(engine) != head_revision():
            return ["(the database schema is not current: run `gridbot db upgrade` to see talk days)"]
        db = Database(engine)
        roster = db.run_sync(load_index)
        sent = db.run_sync(reminders.last_sent)
    finally:
        engine.dispose()
    work = WorkCalendar(config.tz, working_time=True, work_hours=parse_work_hours(config.sla.work_hours))
    lines = []
    units = talk_day_units(config, roster)
    if units:
        lines.append(f"upcoming talk days (支部说事日), {len(units)} unit(s):")
        for unit in units[:50]:
            day = next_talk_day(config, roster, work, unit, now)
            host = day.host.name if day.host else "no host in roster"
            moved = f", moved from {day.shifted_from:%m-%d}" if day.shifted_from else ""
            lines.append(f"  {unit.name} ({unit.id}): {day.held_at:%Y-%m-%d %H:%M}{moved} at {day.place}, "
                         f"host {host}; notice {day.notice_at:%m-%d %H:%M}, reminder {day.reminder_at:%m-%d %H:%M}")
        if len(units) > 50:
            lines.append(f"  ... and {len(units) - 50} more")
    for job, (at, count) in sorted(sent.items()):
        lines.append(f"last sent by {job}: {count} reminder(s), latest at {at.astimezone(config.tz):%Y-%m-%d %H:%M}")
    return lines


def cmd_jobs_run(args: argparse.Namespace) -> int:
    config = _load(args)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    bot = _offline_bot(config, _parse_now(args.now, config) if args.now else None)
    try:
        counts = bot.run_job_sync(args.name)
    finally:
        bot.engine.dispose()
    at = bot.clock.now().astimezone(config.tz)
    print(f"{args.name} as of {at:%Y-%m-%d %H:%M %Z}: " + (", ".join(f"{step} {n}" for step, n in counts.items())
                                                          or "nothing to do"))
    return 0


def _offline_bot(config: Config, now: datetime | None = None):  # noqa: ANN202
    from .app import GridBot
    from .clock import Clock, FrozenClock

    # No channels: messages go to the outbox, which the running bot (or the next start) delivers.
    bot = GridBot(config, clock=FrozenClock(now) if now else Clock(), channels=[], run_jobs=False)
    bot.migrate()
    return bot


def cmd_notice_send(args: argparse.Namespace) -> int:
    from .handlers import notices
    from .handlers.base import Context
    from .handlers.notify import unit_chats

    config = _load(args)
    at = _parse_now(args.at, config) if args.at else None
    text = args.text if args.text is not None else sys.stdin.read()
    bot = _offline_bot(config)
    try:
        def send(session):  # noqa: ANN001, ANN202
            ctx = Context(session=session, services=bot.services, now=bot.clock.now(),
                          roster=bot.roster_cache.get(session))
            sender = None
            if args.sender:
                sender = ctx.roster.people.get(args.sender)
                if sender is None:
                    raise ConfigError(f"--from: {args.sender!r} is not a person id in the roster")
                if not notices.may_send(config, sender):
                    raise ConfigError(f"--from: {args.sender} has none of notices.sender_roles "
                                      f"({', '.join(config.notices.sender_roles)})")
            body = text.strip()
            if not body:
                raise ConfigError("--text: the notice is empty")
            if len(body) > config.notices.max_chars:
                raise ConfigError(f"--text: {len(body)} characters; notices.max_chars is {config.notices.max_chars}")
            items = [item for item in args.to.replace("，", ",").split(",") if item.strip()]
            try:
                unit_ids = notices.resolve_targets(ctx.roster, items, within=sender.unit_id if sender else None)
            except notices.TargetError as exc:
                raise ConfigError(f"--to: {exc}") from None
            if not unit_chats(ctx, unit_ids):
                raise ConfigError("--to: no group chat of an enabled channel in these units")
            row = notices.create(ctx, text=body, unit_ids=unit_ids, targets=items, sender=sender, origin=None, at=at)
            return row.id, row.status, len(unit_chats(ctx, unit_ids)), row.scheduled_at

        notice_id, status, chats, scheduled = bot.db.run_sync(send)
    finally:
        bot.engine.dispose()
    when = "now" if status != "scheduled" else f"at {scheduled.astimezone(config.tz):%Y-%m-%d %H:%M}"
    print(f"notice #{notice_id} to {chats} group(s), sent {when} by the running bot; "
          f"`gridbot notice status {notice_id}` shows its progress")
    return 0


def cmd_notice_status(args: argparse.Namespace) -> int:
    from .storage import notices as notice_store
    from .storage.models import Notice

    config = _load(args)
    bot = _offline_bot(config)
    try:
        def status(session):  # noqa: ANN001, ANN202
            row = session.get(Notice, args.id)
            if row is None:
                raise ConfigError(f"no notice #{args.id}")
            return (row.status, row.chats, row.scheduled_at, notice_store.progress(session, row.id),
                    notice_store.failures(session, row.id))

        state, chats, scheduled, counts, failures = bot.db.run_sync(status)
    finally:
        bot.engine.dispose()
    print(f"notice #{args.id}: {state}, {chats} group(s), scheduled {scheduled.astimezone(config.tz):%Y-%m-%d %H:%M}; "
          f"delivered {counts['sent']}, failed {counts['failed']}, pending {counts['pending']}, "
          f"acknowledged by {counts['acks']}")
    for channel, chat_id, error in failures:
        print(f"  failed: {channel} {chat_id}: {error}")
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
    classify.add_argument("--explain", action="store_true",
                          help="add the tokens, words and features that decided, and the probabilities")
    classify.add_argument("--shipped", action="store_true", help="use the shipped model, not the installed one")
    classify.set_defaults(func=cmd_classify)

    evaluate = with_config(sub.add_parser(
        "eval", help="score the classifier on a TSV file of label<TAB>text (or label<TAB>urgent<TAB>text)"))
    evaluate.add_argument("file", help="UTF-8 TSV; labels are type keys, type names or none/非诉求; header optional")
    evaluate.add_argument("--shipped", action="store_true", help="score the shipped model, not the installed one")
    evaluate.set_defaults(func=cmd_eval)

    train = with_config(sub.add_parser(
        "train", help="retrain the classifier on the corpus plus corrections made in chat; install it if not worse"))
    train.add_argument("--dry-run", action="store_true", help="report before/after scores, install nothing")
    train.add_argument("--min-gain", type=float, default=0.0,
                       help="install only if macro-F1 improves by at least this much (default 0: not worse)")
    train.add_argument("--folds", type=int, default=5, choices=range(2, 11), metavar="{2..10}",
                       help="cross-validation folds for calibration (default 5; fewer is faster)")
    train.add_argument("--output", help="developers: train on the shipped corpus only and write the model file "
                                        "(e.g. bot/nlp/model.npz); the database is not touched")
    train.set_defaults(func=cmd_train)

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

    households = sub.add_parser("households", help="household register (一户一档) commands")
    households_sub = households.add_subparsers(dest="households_command", required=True)
    himp = with_config(households_sub.add_parser(
        "import", help="import a household register CSV (see docs/households.md)"))
    himp.add_argument("file")
    himp.add_argument("--deactivate-missing", action="store_true",
                      help="deactivate active households that are not in the file")
    himp.set_defaults(func=cmd_households_import)

    notice = sub.add_parser("notice", help="broadcast notices (居民通知)")
    notice_sub = notice.add_subparsers(dest="notice_command", required=True)
    nsend = with_config(notice_sub.add_parser(
        "send", help="broadcast a notice to the groups of units (and every unit below them)"))
    nsend.add_argument("--to", required=True, help="unit ids or names and #tags, comma-separated")
    nsend.add_argument("--text", help="the notice (default: read from stdin)")
    nsend.add_argument("--at", help="send at this local time, e.g. 2026-12-01T08:00 (default: now)")
    nsend.add_argument("--from", dest="sender", help="a person id: their role and subtree are checked, and they "
                                                      "get the delivery report in their group")
    nsend.set_defaults(func=cmd_notice_send)
    nstatus = with_config(notice_sub.add_parser("status", help="delivery of a notice: delivered, failed, pending"))
    nstatus.add_argument("id", type=int)
    nstatus.set_defaults(func=cmd_notice_status)

    from .scheduler import JOBS

    jobs = sub.add_parser("jobs", help="scheduled jobs: list them, or run one now")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    jlist = with_config(jobs_sub.add_parser("list", help="jobs, their next run times and the upcoming talk days"))
    jlist.add_argument("--now", help="as if at this time (default: now)")
    jlist.set_defaults(func=cmd_jobs_list)
    jrun = with_config(jobs_sub.add_parser(
        "run", help="run one job now, or as if at --now (e.g. after an outage); reminders already sent are "
                    "never sent again"))
    jrun.add_argument("name", choices=sorted(JOBS))
    jrun.add_argument("--now", help="local time to run as, e.g. 2026-12-10T09:00 (default: now)")
    jrun.set_defaults(func=cmd_jobs_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, RosterError, HouseholdFileError) as exc:
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
