"""Config loading: defaults, environment substitution, errors that name the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

from .conftest import REPO, default_config_data


def test_shipped_config_loads_with_defaults():
    config = load_config(REPO / "config.yaml", environ={})
    assert config.timezone == "Asia/Shanghai"
    assert config.database_url == "sqlite:///data/gridbot.db"
    assert config.resolved_database_url == f"sqlite:///{REPO / 'data' / 'gridbot.db'}"
    assert config.http.port == 8080 and config.http.host == "127.0.0.1"
    assert config.intake.mode == "auto"
    assert list(config.request_types) == ["dispute", "environment", "repair", "safety", "security",
                                          "assistance", "inquiry", "suggestion"]
    names = {k: t.name for k, t in config.request_types.items()}
    assert names == {"dispute": "矛盾纠纷", "environment": "环境卫生", "repair": "设施报修", "safety": "安全隐患",
                     "security": "治安问题", "assistance": "困难帮扶", "inquiry": "政策咨询", "suggestion": "意见建议"}
    assert all(t.keywords and t.handler_role for t in config.request_types.values())
    assert config.channels.webchat.enabled and not config.channels.telegram.enabled
    assert config.roster_path == REPO / "examples" / "roster.yaml"


def test_environment_substitution():
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "GRIDBOT_TELEGRAM_ENABLED": "true", "GRIDBOT_HTTP_PORT": "9090",
           "GRIDBOT_DATABASE_URL": "postgresql+psycopg://u@db/gridbot"}
    config = load_config(REPO / "config.yaml", environ=env)
    assert config.channels.telegram.enabled and config.channels.telegram.token == "123:abc"
    assert config.http.port == 9090
    assert config.resolved_database_url == "postgresql+psycopg://u@db/gridbot"


def _error(data, environ=None) -> str:  # noqa: ANN001
    with pytest.raises(ConfigError) as info:
        parse_config(data, source="cfg.yaml", environ=environ or {})
    return str(info.value)


def test_telegram_enabled_without_token_names_key_and_variable():
    with pytest.raises(ConfigError) as info:
        load_config(REPO / "config.yaml", environ={"GRIDBOT_TELEGRAM_ENABLED": "true"})
    message = str(info.value)
    assert "channels.telegram.token" in message and "TELEGRAM_BOT_TOKEN" in message


@pytest.mark.parametrize("patch, expected", [
    ({"timezone": "Mars/Olympus"}, "timezone: unknown timezone"),
    ({"intake": {"mode": "everything"}}, "intake.mode"),
    ({"intake": {"modee": "auto"}}, "intake.modee: unknown key"),
    ({"http": {"port": 70000}}, "http.port"),
    ({"request_types": {}}, "request_types: at least one request type is required"),
    ({"request_types": {"Bad-Key": {"name": "x"}}}, "must be lower-case"),
    ({"request_types": {"repair": {"keywords": ["灯"]}}}, "request_types.repair.name: is required"),
    ({"urgent": {"default_type": "fire"}}, "urgent.default_type: 'fire' is not one of request_types"),
    ({"channels": {"telegram": {"enabled": True, "token": "1:a", "mode": "webhook"}}},
     "channels.telegram.webhook_url: is required"),
])
def test_broken_config_names_the_key(patch, expected):
    data = default_config_data()
    for key, value in patch.items():
        if isinstance(value, dict) and key != "request_types" and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    assert expected in _error(data)


def test_unreadable_files_give_clear_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("http: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(bad)


def test_cli_run_with_broken_config_exits_with_message(tmp_path: Path):
    bad = tmp_path / "config.yaml"
    bad.write_text("timezone: Nowhere/Land\nrequest_types: {repair: {name: 报修}}\n"
                   "urgent: {default_type: repair}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "bot", "run", "--config", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "timezone: unknown timezone 'Nowhere/Land'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["sla"].update(work_hours=["8:30-12:00"]), "sla.work_hours: work hours entry '8:30-12:00'"),
    (lambda d: d["sla"].update(work_hours=["12:00-08:30"]), "sla.work_hours: work hours period 12:00-08:30"),
    (lambda d: d["sla"].update(check_interval_minutes=0), "sla.check_interval_minutes:"),
    (lambda d: d.update(whistle_types={}), "whistle_types: at least one whistle type is required"),
    (lambda d: d.update(whistle_types={"a": {"name": "日常哨"}, "b": {"name": "日常哨"}}),
     "whistle_types: whistle type names must be different"),
    (lambda d: d["feedback"].update(rating_days=0), "feedback.rating_days:"),
    (lambda d: d["request_types"]["repair"].update(resolve_days=-1), "request_types.repair.resolve_days:"),
    (lambda d: d["intake"].update(duplicate_similarity=1.5), "intake.duplicate_similarity:"),
])
def test_closed_loop_settings_are_checked(change, expected):
    data = default_config_data()
    change(data)
    with pytest.raises(ConfigError) as err:
        parse_config(data, environ={})
    assert expected in str(err.value)


def test_closed_loop_defaults():
    config = load_config(REPO / "config.yaml", environ={})
    assert config.request_types["repair"].accept_hours == 8 and config.request_types["repair"].resolve_days == 7
    assert (config.urgent.accept_hours, config.urgent.resolve_days) == (0.5, 1)
    assert not config.sla.working_time and config.sla.auto_escalate and config.sla.escalate_after_hours == 4
    assert [w.name for w in config.whistle_types.values()] == ["日常哨", "应急哨", "攻坚哨"]
    assert (config.feedback.rating_days, config.feedback.followup_days) == (3, 7)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["reminders"].update(digest_time="8.30"), "reminders.digest_time: '8.30' is not a time of day"),
    (lambda d: d["reminders"].update(channel_order=["wechat"]), "reminders.channel_order: unknown channel(s) wechat"),
    (lambda d: d["reminders"].update(grace_hours=-1), "reminders.grace_hours:"),
    (lambda d: d["talk_day"].update(day=32), "talk_day.day:"),
    (lambda d: d["talk_day"].update(notice_time="25:00"), "talk_day.notice_time: '25:00' is not a time of day"),
    (lambda d: d["talk_day"].update(units={"dongfeng": {"time": "9点"}}), "talk_day.units.dongfeng.time:"),
    (lambda d: d["talk_day"].update(units={"dongfeng": {"hosts": "x"}}), "talk_day.units.dongfeng.hosts:"),
    (lambda d: d["visits"].update(cadences=[{"name": "x", "every_days": 0}]), "visits.cadences.0.every_days:"),
    (lambda d: d["visits"].update(cadences=[{"name": "x", "kind": "call", "every_days": 7}]),
     "visits.cadences.0.kind:"),
])
def test_reminder_settings_are_checked(change, expected):
    data = default_config_data()
    change(data)
    with pytest.raises(ConfigError) as err:
        parse_config(data, environ={})
    assert expected in str(err.value)


def test_reminder_defaults():
    config = load_config(REPO / "config.yaml", environ={})
    assert (config.talk_day.day, config.talk_day.time, config.talk_day.notice_days_before) == (10, "09:00", 3)
    assert config.talk_day.levels == ["village"] and config.talk_day.shift_off_days
    assert config.reminders.digest_time == "08:30" and config.reminders.tell_leader_after_days == 3
    assert {c.kind for c in config.visits.cadences} == {"visit", "contact"}
