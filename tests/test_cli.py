"""The gridbot command line, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from bot import __version__
from bot.storage.db import head_revision

from .conftest import REPO, default_config_data


def gridbot(*args: str, stdin: str | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def write_config(tmp_path: Path, **overrides) -> Path:  # noqa: ANN003
    data = default_config_data()
    data["roster"] = str(REPO / "examples" / "roster.yaml")
    data.update(overrides)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_version():
    proc = gridbot("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"gridbot {__version__}"


def test_classify_contract(tmp_path: Path):
    lines = ["楼下的路灯坏了一个多星期了，晚上黑灯瞎火的", "收到", "", "樓下著火了，快來人啊", "谢谢网格员 👍"]
    proc = gridbot("classify", "--config", str(write_config(tmp_path)), stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["text"] for r in records] == lines
    for record in records:
        assert set(record) == {"text", "type", "name", "confidence", "urgent"}
        assert 0.0 <= record["confidence"] <= 1.0 and isinstance(record["urgent"], bool)
        assert (record["name"] is None) == (record["type"] == "none")
    assert (records[0]["type"], records[0]["name"], records[0]["urgent"]) == ("repair", "设施报修", False)
    assert [r["type"] for r in records[1:3]] == ["none", "none"]
    assert records[3]["urgent"] is True and records[3]["type"] != "none"
    assert records[4]["type"] == "none"


def test_classify_explain_and_custom_types(tmp_path: Path):
    config = write_config(tmp_path, request_types={
        "parking": {"name": "停车问题", "handler_role": "grid_worker", "keywords": ["停车", "车位", "挡道"]},
        "repair": {"name": "维修", "keywords": ["路灯", "坏了"]},
    }, urgent={"default_type": "repair", "keywords": ["着火"]})
    proc = gridbot("classify", "--explain", "--config", str(config), stdin="小区车位被外来车占了，天天乱停车挡道\n")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert (record["type"], record["name"]) == ("parking", "停车问题")
    assert "停车" in record["matched"] or "车位" in record["matched"]
    assert set(record["keyword_scores"]) == {"parking", "repair"} and record["type_evidence"]


def test_errors_go_to_stderr_with_nonzero_exit(tmp_path: Path):
    proc = gridbot("classify", "--config", str(tmp_path / "nope.yaml"), stdin="x\n")
    assert proc.returncode != 0 and "config file not found" in proc.stderr and proc.stdout == ""
    proc = gridbot("roster", "import", str(tmp_path / "missing.yaml"), "--config", str(write_config(tmp_path)))
    assert proc.returncode != 0 and "roster file not found" in proc.stderr
    proc = gridbot("frobnicate")
    assert proc.returncode != 0 and "invalid choice" in proc.stderr


def test_db_upgrade_and_roster_import(tmp_path: Path):
    config = write_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'cli.db'}")
    proc = gridbot("db", "upgrade", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    assert f"revision {head_revision()}" in proc.stdout
    proc = gridbot("roster", "import", str(REPO / "examples" / "roster.yaml"), "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    assert "imported 9 units, 17 people" in proc.stdout
    bad = tmp_path / "bad-roster.yaml"
    bad.write_text("units: []\n", encoding="utf-8")
    proc = gridbot("roster", "import", str(bad), "--config", str(config))
    assert proc.returncode == 2 and "units" in proc.stderr and "Traceback" not in proc.stderr


def test_households_import_and_jobs_list_and_run(tmp_path: Path):
    db = tmp_path / "jobs.db"
    config = write_config(tmp_path, database_url=f"sqlite:///{db}")
    register = tmp_path / "households.csv"
    register.write_bytes("户号,户主,网格,标签,联户人\nDF1-001,张桂英户,dongfeng-g1,独居老人,李网格\n"
                         "DF1-002,王大山户,dongfeng-g1,,\n".encode("gb18030"))
    proc = gridbot("households", "import", str(register), "--config", str(config))
    assert proc.returncode == 2 and "no roster yet" in proc.stderr  # nothing to check the grids against
    assert gridbot("roster", "import", str(REPO / "examples" / "roster.yaml"), "--config", str(config)).returncode == 0
    proc = gridbot("households", "import", str(register), "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    assert "imported 2 households: 2 new, 0 updated" in proc.stdout and "1 household(s) have no linked" in proc.stderr
    proc = gridbot("households", "import", str(tmp_path / "nope.csv"), "--config", str(config))
    assert proc.returncode == 2 and "cannot read" in proc.stderr and "Traceback" not in proc.stderr

    proc = gridbot("jobs", "list", "--config", str(config), "--now", "2026-12-05 12:00")
    assert proc.returncode == 0, proc.stderr
    assert "supervision" in proc.stdout and "digest       next run 2026-12-06 08:30" in proc.stdout
    assert "talk_day     next run 2026-12-06 08:00" in proc.stdout
    assert "东风村 (dongfeng): 2026-12-10 09:00 at 东风村党群服务中心, host 王书记; notice 12-07 09:00" in proc.stdout

    # Run a job as if at a time: the talk day notice is queued once, whatever the re-runs.
    proc = gridbot("jobs", "run", "talk_day", "--now", "2026-12-07T09:05", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    assert "talk_day as of 2026-12-07 09:05 CST: send_notices 2, send_reminders 0" in proc.stdout
    proc = gridbot("jobs", "run", "talk_day", "--now", "2026-12-07T10:00", "--config", str(config))
    assert "send_notices 0" in proc.stdout
    proc = gridbot("jobs", "list", "--config", str(config), "--now", "2026-12-07 12:00")
    assert "last sent by talk_notice: 2 reminder(s)" in proc.stdout
    proc = gridbot("jobs", "run", "talk_day", "--now", "yesterday", "--config", str(config))
    assert proc.returncode == 2 and "--now: 'yesterday' is not a time" in proc.stderr
    proc = gridbot("jobs", "run", "nosuchjob", "--config", str(config))
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


def test_notice_send_and_status(tmp_path: Path):
    config = write_config(tmp_path, database_url=f"sqlite:///{tmp_path / 'notice.db'}")
    assert gridbot("roster", "import", str(REPO / "examples" / "roster.yaml"), "--config", str(config)).returncode == 0
    proc = gridbot("notice", "send", "--to", "dongfeng-g1,柳塘社区", "--text", "明天上午停水", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    assert "notice #1 to 4 group(s), sent now" in proc.stdout  # g1, liutang and its two grids (web chat)
    proc = gridbot("notice", "status", "1", "--config", str(config))
    assert "notice #1: sending, 4 group(s)" in proc.stdout and "pending 4" in proc.stdout
    proc = gridbot("notice", "send", "--to", "dongfeng", "--text", "周六开会", "--at", "2030-01-01T08:00",
                   "--config", str(config))
    assert "at 2030-01-01 08:00" in proc.stdout
    # Errors name the argument.
    proc = gridbot("notice", "send", "--to", "西山村", "--text", "x", "--config", str(config))
    assert proc.returncode == 2 and "--to: 没有找到“西山村”" in proc.stderr
    proc = gridbot("notice", "send", "--to", "liutang", "--text", "x", "--from", "chen-wangzhang", "--config",
                   str(config))
    assert proc.returncode == 2 and "--to: 柳塘社区不在您管理的范围内" in proc.stderr
    proc = gridbot("notice", "send", "--to", "dongfeng-g1", "--text", "x", "--from", "li-wangge", "--config",
                   str(config))
    assert proc.returncode == 2 and "--from: li-wangge has none of notices.sender_roles" in proc.stderr
    proc = gridbot("notice", "status", "99", "--config", str(config))
    assert proc.returncode == 2 and "no notice #99" in proc.stderr
