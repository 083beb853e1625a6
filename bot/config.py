"""Configuration: YAML file -> validated, typed settings.

A wrong config must fail at start-up with a message naming the key, so every
section is a pydantic model with ``extra="forbid"`` and errors are reformatted
as ``key.path: what is wrong``.  ``${VAR}`` and ``${VAR:-default}`` are
substituted from the environment; secrets never live in the file.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from datetime import time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_CONFIG_PATH = Path("config.yaml")
_ENV_PATTERN = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class RateLimitConfig(_Section):
    global_per_second: float = Field(30, gt=0)
    per_chat_per_minute: float = Field(20, gt=0)


class TelegramConfig(_Section):
    enabled: bool = False
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str = ""
    webhook_path: str = "/telegram/webhook"
    secret_token: str = ""
    poll_timeout: int = Field(30, ge=0, le=50)
    rate_limit: RateLimitConfig = RateLimitConfig()

    @model_validator(mode="after")
    def _check_enabled(self) -> "TelegramConfig":
        if not self.enabled:
            return self
        if not self.token:
            raise ValueError("token: is empty; set it (e.g. token: ${TELEGRAM_BOT_TOKEN})")
        if self.mode == "webhook":
            if not self.webhook_url:
                raise ValueError("webhook_url: is required when mode is webhook")
            if not self.secret_token:
                raise ValueError(
                    "secret_token: is required when mode is webhook "
                    "(e.g. secret_token: ${TELEGRAM_WEBHOOK_SECRET})"
                )
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", self.secret_token):
                raise ValueError("secret_token: must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        if not self.webhook_path.startswith("/"):
            raise ValueError("webhook_path: must start with /")
        return self


class WebchatConfig(_Section):
    enabled: bool = True
    bot_name: str = "居民助理"
    history_size: int = Field(200, ge=10, le=10000)
    rate_limit: RateLimitConfig = RateLimitConfig(global_per_second=1000, per_chat_per_minute=600)


class ChannelsConfig(_Section):
    webchat: WebchatConfig = WebchatConfig()
    telegram: TelegramConfig = TelegramConfig()


class IntakeConfig(_Section):
    mode: Literal["auto", "mention"] = "auto"
    merge_window_minutes: float = Field(30, ge=0)
    # Gone with the keyword classifier (its scale meant something else); see _min_confidence_gone.
    min_confidence: float | None = None
    max_text_chars: int = Field(2000, ge=50)
    # Another resident's report of the same problem (same grid, same type, similar words)
    # within this window is linked to the open ticket instead of opening a new one.
    duplicate_window_hours: float = Field(72, ge=0)
    # Similarity (0..1) from which two reports are the same problem; None: the built-in default.
    duplicate_similarity: float | None = Field(None, gt=0, le=1)

    @field_validator("min_confidence")
    @classmethod
    def _min_confidence_gone(cls, value: float | None) -> float | None:
        if value is not None:
            raise ValueError("replaced by classifier.request_threshold, a probability with another scale: "
                             "remove intake.min_confidence (the calibrated threshold is used) or set "
                             "classifier.request_threshold, see docs/classifier.md")
        return value


class ClassifierConfig(_Section):
    """The learned classifier (docs/classifier.md)."""

    # A message is a request when the model's p(request) reaches this; None: the threshold
    # calibrated when the model was trained.
    request_threshold: float | None = Field(None, ge=0, le=1)
    # Multiplies the model's learned weight of configured keywords: >1 lets keywords decide more.
    keyword_weight: float = Field(1.0, ge=0, le=10)
    # How often a running bot looks for a model installed by `gridbot train` (any replica).
    reload_check_seconds: float = Field(60, ge=5, le=86400)
    # p(request) a message needs when no configured keyword (or synonym) and no emergency rule
    # matches it; None: the calibrated threshold like any message. Higher: fewer false tickets on
    # chatter, more missed requests (docs/classifier.md has the measured trade-off).
    no_keyword_threshold: float | None = Field(0.9, ge=0, le=1)
    # A ticket rejected (驳回) with one of these in the reason was no request at all: it becomes a
    # "not a request" example for `gridbot train`.
    not_request_words: list[str] = Field(default_factory=lambda: ["非诉求", "不是诉求", "闲聊", "误报", "误识别",
                                                                   "不是问题", "不是反映问题"])


class RequestTypeConfig(_Section):
    name: str
    handler_role: str = "grid_worker"
    accept_hours: float = Field(8, gt=0)
    resolve_days: float = Field(7, gt=0)
    keywords: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("keywords")
    @classmethod
    def _keywords_not_blank(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip() for k in value]
        if any(not k for k in cleaned):
            raise ValueError("contains an empty keyword")
        return cleaned


class UrgentConfig(_Section):
    accept_hours: float = Field(0.5, gt=0)
    resolve_days: float = Field(1, gt=0)
    # Urgent tickets overdue this long after the reminder go up one level.
    escalate_after_hours: float = Field(0.5, gt=0)
    default_type: str = "safety"
    notify_parent_chat: bool = True
    keywords: list[str] = Field(default_factory=list)


class SlaConfig(_Section):
    """Deadlines and supervision (督办). Urgent tickets always count calendar time."""

    check_interval_minutes: float = Field(5, gt=0, le=1440)
    # Count only working time (weekends and public holidays skipped, 调休 make-up days
    # worked) using chinese-calendar.
    working_time: bool = False
    work_hours: list[str] = Field(default_factory=lambda: ["08:30-12:00", "14:00-17:30"])
    # After the overdue reminder, wait this long, then escalate one level automatically.
    auto_escalate: bool = True
    escalate_after_hours: float = Field(4, gt=0)

    @field_validator("work_hours")
    @classmethod
    def _valid_hours(cls, value: list[str]) -> list[str]:
        from .worktime import parse_work_hours

        parse_work_hours(value)
        return value


class FeedbackConfig(_Section):
    """What happens after a ticket is resolved."""

    # Days the resident has to rate (满意 / 基本满意 / 不满意); then the ticket closes as 未评价.
    rating_days: float = Field(3, gt=0)
    # Days after resolution when the follow-up visit (回访) is due.
    followup_days: float = Field(7, ge=0)


class WorkflowConfig(_Section):
    # Roles that count as leaders: they may reject tickets and resolve, escalate or
    # transfer tickets of their units even when not assigned.
    leader_roles: list[str] = Field(default_factory=lambda: ["grid_leader", "branch_secretary", "centre_staff"])
    # Roles at the town level that may blow the whistle (吹哨) to a department.
    whistle_roles: list[str] = Field(default_factory=lambda: ["centre_staff", "grid_leader"])
    # Roles of the person who answers for a department (吹哨报到).
    department_roles: list[str] = Field(default_factory=lambda: ["department_contact"])


class WhistleTypeConfig(_Section):
    name: str
    accept_hours: float = Field(8, gt=0)
    resolve_days: float = Field(5, gt=0)


def _default_whistles() -> dict[str, WhistleTypeConfig]:
    return {
        "routine": WhistleTypeConfig(name="日常哨", accept_hours=8, resolve_days=5),
        "emergency": WhistleTypeConfig(name="应急哨", accept_hours=1, resolve_days=1),
        "tough": WhistleTypeConfig(name="攻坚哨", accept_hours=24, resolve_days=15),
    }


_CLOCK_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _check_clock_time(value: str | None) -> str | None:
    if value is not None and not _CLOCK_TIME.fullmatch(value):
        raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. \"09:00\"")
    return value


def clock_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class RemindersConfig(_Section):
    """Scheduled reminders: the daily digest, the talk day's notices."""

    # A reminder whose time passed while the bot was down is still sent up to this many hours late.
    grace_hours: float = Field(6, ge=0, le=72)
    # Local time of the daily digest of follow-ups (回访) and household visits (走访).
    digest_time: str = "08:30"
    # Follow-ups and visits overdue this many days are also listed to the grid leader.
    tell_leader_after_days: int = Field(3, ge=1)
    # A person's digest goes to their unit's group (with an @) on the first enabled channel of
    # this list where that group exists.
    channel_order: list[str] = Field(default_factory=lambda: ["telegram", "webchat"])

    _times = field_validator("digest_time")(classmethod(lambda cls, v: _check_clock_time(v)))

    @field_validator("channel_order")
    @classmethod
    def _known_channels(cls, value: list[str]) -> list[str]:
        known = list(ChannelsConfig.model_fields)
        unknown = [name for name in value if name not in known]
        if unknown:
            raise ValueError(f"unknown channel(s) {', '.join(unknown)}; known: {', '.join(known)}")
        return value


class TalkDayUnitConfig(_Section):
    """One unit's own talk day settings; anything left out comes from ``talk_day``."""

    enabled: bool | None = None
    day: int | None = Field(None, ge=1, le=31)
    time: str | None = None
    place: str | None = None
    host: str | None = None  # person id

    _times = field_validator("time")(classmethod(lambda cls, v: _check_clock_time(v)))


class TalkDayConfig(_Section):
    """支部说事日: the monthly day the branch secretary hears residents face to face."""

    enabled: bool = True
    # Units at these levels hold one (村/社区: village); ``units`` adds or removes single units.
    levels: list[str] = Field(default_factory=lambda: ["village"])
    day: int = Field(10, ge=1, le=31)  # day of the month; 31 means the month's last day in short months
    time: str = "09:00"
    place: str = "{unit}党群服务中心"  # {unit}: the unit's name
    host_role: str = "branch_secretary"
    # When the day is a weekend or public holiday, hold it on the next working day (chinese-calendar).
    shift_off_days: bool = True
    notice_days_before: int = Field(3, ge=0, le=27)
    notice_time: str = "09:00"
    # The morning reminder to the groups and the topic list to the host.
    reminder_time: str = "08:00"
    # Topics with any of these words are pressing worries (急事难事) and head the host's list.
    # (An emergency such as a fire is not a topic: it opens an urgent ticket at once.)
    pressing_words: list[str] = Field(default_factory=lambda: [
        "急", "尽快", "马上", "赶紧", "等不及", "危险", "隐患", "安全", "没人管", "一直没", "好几个月", "老人", "孩子"])
    units: dict[str, TalkDayUnitConfig] = Field(default_factory=dict)

    _times = field_validator("time", "notice_time", "reminder_time")(
        classmethod(lambda cls, v: _check_clock_time(v)))


class CadenceConfig(_Section):
    """A required visit rhythm for households (联户走访)."""

    name: str
    # visit: in person (上门走访); contact: in person or online/phone (线上联系).
    kind: Literal["visit", "contact"] = "visit"
    every_days: float = Field(gt=0)
    # Households with any of these tags (empty: every household).
    tags: list[str] = Field(default_factory=list)
    # Only when the linked person has one of these roles (empty: anyone).
    linked_roles: list[str] = Field(default_factory=list)


def _default_cadences() -> list[CadenceConfig]:
    key = ["低保户", "留守儿童户", "独居老人", "孤寡老人", "边缘监测户", "残疾户", "生活困难户"]
    return [
        CadenceConfig(name="重点户每周走访", kind="visit", every_days=7, tags=key,
                      linked_roles=["grid_instructor", "village_cadre"]),
        CadenceConfig(name="重点户每月走访", kind="visit", every_days=30, tags=key),
        CadenceConfig(name="联户每季走访", kind="visit", every_days=91),
        CadenceConfig(name="联户每月线上联系", kind="contact", every_days=30),
    ]


class VisitsConfig(_Section):
    """Household visit cadences (一户一档, 四联五到位): the strictest matching rule counts."""

    cadences: list[CadenceConfig] = Field(default_factory=_default_cadences)


class NoticesConfig(_Section):
    """Broadcast notices (居民通知)."""

    # Roles that may broadcast, each within their own unit and the units below it.
    sender_roles: list[str] = Field(default_factory=lambda: ["grid_leader", "branch_secretary", "centre_staff"])
    # How often scheduled notices are fanned out and finished broadcasts reported.
    check_interval_seconds: float = Field(30, ge=1, le=3600)
    # A reply to a notice starting with one of these counts as an acknowledgement.
    ack_words: list[str] = Field(default_factory=lambda: ["收到", "已收到", "已阅", "知道了", "好的"])
    max_chars: int = Field(3000, ge=100, le=4000)


class Config(_Section):
    timezone: str = "Asia/Shanghai"
    database_url: str = "sqlite:///data/gridbot.db"
    roster: str | None = None
    http: HttpConfig = HttpConfig()
    intake: IntakeConfig = IntakeConfig()
    channels: ChannelsConfig = ChannelsConfig()
    request_types: dict[str, RequestTypeConfig]
    classifier: ClassifierConfig = ClassifierConfig()
    urgent: UrgentConfig = UrgentConfig()
    sla: SlaConfig = SlaConfig()
    feedback: FeedbackConfig = FeedbackConfig()
    workflow: WorkflowConfig = WorkflowConfig()
    # 吹哨报到: the town centre's whistle types, the first one is the default.
    whistle_types: dict[str, WhistleTypeConfig] = Field(default_factory=_default_whistles)
    reminders: RemindersConfig = RemindersConfig()
    talk_day: TalkDayConfig = TalkDayConfig()
    visits: VisitsConfig = VisitsConfig()
    notices: NoticesConfig = NoticesConfig()
    # This process's name among replicas: on restart it takes back the sends it had claimed
    # (instead of waiting for their lease to end). Give every replica its own.
    instance_name: str = Field("main", min_length=1, max_length=64)
    # Directory the file was read from: relative paths resolve against it.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name such as Asia/Shanghai)")
        return value

    @field_validator("request_types")
    @classmethod
    def _types_present(cls, value: dict[str, RequestTypeConfig]) -> dict[str, RequestTypeConfig]:
        if not value:
            raise ValueError("at least one request type is required")
        for key in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key):
                raise ValueError(f"type key {key!r} must be lower-case letters, digits and _ (max 32)")
            if key == "none":
                raise ValueError("'none' is reserved for non-requests")
        return value

    @field_validator("whistle_types")
    @classmethod
    def _whistles_present(cls, value: dict[str, WhistleTypeConfig]) -> dict[str, WhistleTypeConfig]:
        if not value:
            raise ValueError("at least one whistle type is required")
        names = [w.name for w in value.values()]
        if len(set(names)) != len(names):
            raise ValueError("whistle type names must be different")
        return value

    @model_validator(mode="after")
    def _urgent_type_exists(self) -> "Config":
        if self.urgent.default_type not in self.request_types:
            raise ValueError(
                f"urgent.default_type: {self.urgent.default_type!r} is not one of request_types "
                f"({', '.join(self.request_types)})"
            )
        return self

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def resolve_path(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def roster_path(self) -> Path | None:
        return self.resolve_path(self.roster) if self.roster else None

    @property
    def resolved_database_url(self) -> str:
        """SQLite paths are relative to the config file, like every other path."""
        url = self.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
            return prefix + str(self.resolve_path(url[len(prefix):]).absolute())
        return url


def substitute_env(value: Any, environ: dict[str, str], path: str = "") -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string of a parsed YAML tree."""
    if isinstance(value, dict):
        return {k: substitute_env(v, environ, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, environ, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            return ""  # an unset secret is empty; sections that need it say so
        return _ENV_PATTERN.sub(replace, value)
    return value


def _format_errors(source: str, exc: ValidationError, raw: dict[str, Any], environ: dict[str, str]) -> str:
    lines = [f"{source}: invalid configuration"]
    for error in exc.errors():
        key = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; see docs/configuration.md)"
        elif error["type"] == "missing":
            message = "is required"
        # Nested validators prefix the sub-key themselves ("token: ...").
        sub = re.match(r"([a-z_]+): (.*)", message)
        if sub and not error["loc"][-1:] == (sub.group(1),):
            key, message = f"{key}.{sub.group(1)}" if key else sub.group(1), sub.group(2)
        lines.append(f"  {key or '(top level)'}: {message}")
    referenced = _ENV_PATTERN.findall(yaml.safe_dump(raw, allow_unicode=True))
    unset_names = sorted({name for name, default in referenced if not default and name not in environ})
    if unset_names:
        lines.append("  (environment variables referenced but not set: " + ", ".join(unset_names) + ")")
    return "\n".join(lines)


def parse_config(data: Any, *, source: str = "config", base_dir: Path = Path("."),
                 environ: dict[str, str] | None = None) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys, not {type(data).__name__}")
    env = dict(os.environ if environ is None else environ)
    substituted = substitute_env(data, env)
    try:
        return Config.model_validate({**substituted, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, exc, data, env)) from None


def load_config(path: str | Path = DEFAULT_CONFIG_PATH, *, environ: dict[str, str] | None = None) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (pass --config FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_config(data, source=str(path), base_dir=path.parent.absolute(), environ=environ)
