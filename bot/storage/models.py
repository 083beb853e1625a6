"""Tables. The database is the single source of truth for tickets and deliveries.

Schema changes go through Alembic migrations in ``bot/storage/migrations``;
``tests/test_storage.py`` checks that the migrations and these models agree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from ..workflow import OPEN, Status
from .types import UTCDateTime


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class UnitLevel(StrEnum):
    """Levels of the grid hierarchy, top to bottom. Departments hang off the town."""

    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"  # 村 / 社区
    GRID = "grid"
    GROUP = "group"  # 村民组 / 小区 below a grid
    DEPARTMENT = "department"


class Unit(SQLModel, table=True):
    __tablename__ = "unit"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    level: str = Field(max_length=20)
    parent_id: Optional[str] = Field(default=None, foreign_key="unit.id", index=True, max_length=64)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    active: bool = True


class Chat(SQLModel, table=True):
    """A group chat on one platform, belonging to one unit."""

    __tablename__ = "chat"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_chat_channel_chat_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=128)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=64)
    title: Optional[str] = Field(default=None, max_length=200)


class Person(SQLModel, table=True):
    """A roster member: grid leader, grid worker, mediator, police, ..."""

    __tablename__ = "person"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=64)
    # Role keys, e.g. ["grid_leader"]; a person may hold several.
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Request type keys this person prefers to handle (empty: any of their role's types).
    handles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    phone: Optional[str] = Field(default=None, max_length=32)
    active: bool = True


class PersonAccount(SQLModel, table=True):
    """A person's account id on one platform (Telegram user id, WeCom userid, ...)."""

    __tablename__ = "person_account"
    __table_args__ = (UniqueConstraint("channel", "account_id", name="uq_person_account"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    channel: str = Field(max_length=32)
    account_id: str = Field(max_length=128)


class RosterRevision(SQLModel, table=True):
    """One row, bumped by every roster import, so every process knows to reload its roster index."""

    __tablename__ = "roster_revision"

    id: int = Field(default=1, primary_key=True)
    revision: int = 0
    imported_at: Optional[datetime] = _ts(nullable=True)


OPEN_STATUSES: frozenset[str] = frozenset(OPEN)


class Satisfaction(StrEnum):
    """A resident's rating of the result (and of a follow-up visit)."""

    SATISFIED = "satisfied"  # 满意
    BASICALLY = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    UNRATED = "unrated"  # 未评价 (no answer in time)


class SlaStage:
    """How far supervision of the current deadline has gone (``Ticket.sla_stage``)."""

    ON_TIME = 0  # deadline not passed, or nothing done about it yet
    REMINDED = 1  # the assignee was reminded; escalation follows at ``sla_escalate_at``
    AT_TOP = 2  # nowhere left to escalate: the top leader was told, nothing more happens


class EventKind(StrEnum):
    """Kinds of ``ticket_event`` rows."""

    CREATED = "created"
    ASSIGNED = "assigned"
    SUPPLEMENTED = "supplemented"  # the same resident added to the report
    REPORTER_LINKED = "reporter_linked"  # another resident reported the same problem
    MARKED_URGENT = "marked_urgent"
    LEADER_NOTIFIED = "leader_notified"
    PARENT_NOTIFIED = "parent_notified"
    ACCEPTED = "accepted"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    WHISTLED = "whistled"
    TRANSFERRED = "transferred"
    REOPENED = "reopened"
    REJECTED = "rejected"
    CLOSED = "closed"
    RATED = "rated"
    COMMENTED = "commented"
    TYPE_CHANGED = "type_changed"  # a correction of the classifier: training data later
    OVERDUE_REMINDED = "overdue_reminded"
    OVERDUE_AT_TOP = "overdue_at_top"
    FOLLOWUP_RECORDED = "followup_recorded"


class Ticket(SQLModel, table=True):
    """A resident's request. ``id`` is the ticket number residents see (#128).

    ``unit_id`` is where it was reported (the grid); ``level_unit_id`` is the unit
    handling it now (moves up on escalation). ``next_due_at`` is the deadline that
    matters in the current status (accept or resolve); supervision works on it.
    """

    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_reporter_open", "channel", "chat_id", "reporter_id", "status"),
        # Supervision walks these in unit order, so one unit's overdue tickets are handled (and
        # reminded in one message) together; partial, so closed tickets are not in them at all.
        Index("ix_ticket_sla_remind", "level_unit_id", "id",
              sqlite_where=text("sla_stage = 0 AND next_due_at IS NOT NULL"),
              postgresql_where=text("sla_stage = 0 AND next_due_at IS NOT NULL")),
        Index("ix_ticket_sla_escalate", "level_unit_id", "id",
              sqlite_where=text("sla_stage = 1"), postgresql_where=text("sla_stage = 1")),
        Index("ix_ticket_rating_due", "status", "rating_due_at"),
        Index("ix_ticket_unit_type_open", "unit_id", "type", "status"),
        # The daily digest's follow-ups (回访) still to do.
        Index("ix_ticket_followup_open", "followup_due_at",
              sqlite_where=text("followup_done_at IS NULL AND followup_due_at IS NOT NULL"),
              postgresql_where=text("followup_done_at IS NULL AND followup_due_at IS NOT NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    type: str = Field(max_length=32, index=True)
    status: str = Field(default=Status.NEW, max_length=20, index=True)
    urgent: bool = False
    confidence: float = 0.0
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=64)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=128)
    source_message_id: Optional[str] = Field(default=None, max_length=128)
    reporter_id: str = Field(max_length=128)
    reporter_name: str = Field(max_length=200)
    assignee_id: Optional[str] = Field(default=None, foreign_key="person.id", index=True, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _ts(index=True)
    updated_at: datetime = _ts()
    # Last time the resident reported (or repeated) this problem: drives merging.
    last_report_at: datetime = _ts()
    accept_due_at: datetime = _ts(index=True)
    resolve_due_at: datetime = _ts()
    # The deadline of the current status; None when nothing is due (resolved, closed, rejected).
    next_due_at: Optional[datetime] = _ts(nullable=True)
    sla_stage: int = SlaStage.ON_TIME
    sla_escalate_at: Optional[datetime] = _ts(nullable=True)
    level_unit_id: str = Field(foreign_key="unit.id", index=True, max_length=64)
    # The first assignee (the grid worker): told when a higher level resolves it.
    origin_assignee_id: Optional[str] = Field(default=None, foreign_key="person.id", max_length=64)
    # Whistle type key while a department handles it (吹哨).
    whistle: Optional[str] = Field(default=None, max_length=32)
    escalation_count: int = 0
    reopen_count: int = 0
    reporter_count: int = 1
    accepted_at: Optional[datetime] = _ts(nullable=True)
    resolved_at: Optional[datetime] = _ts(nullable=True)
    closed_at: Optional[datetime] = _ts(nullable=True)
    # What was done (resolve note) or why it was rejected; told to the residents.
    result_note: Optional[str] = Field(default=None, sa_column=Column(Text))
    rating_due_at: Optional[datetime] = _ts(nullable=True)
    satisfaction: Optional[str] = Field(default=None, max_length=32)
    followup_due_at: Optional[datetime] = _ts(nullable=True, index=True)
    followup_done_at: Optional[datetime] = _ts(nullable=True)


class TicketReporter(SQLModel, table=True):
    """A resident who reported a ticket: the first one, and others linked as the same problem.
    Each is told the result and may rate it."""

    __tablename__ = "ticket_reporter"
    __table_args__ = (
        UniqueConstraint("ticket_id", "channel", "account_id", name="uq_ticket_reporter"),
        Index("ix_ticket_reporter_account", "channel", "account_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    channel: str = Field(max_length=32)
    account_id: str = Field(max_length=128)
    name: str = Field(max_length=200)
    chat_id: str = Field(max_length=128)
    message_id: Optional[str] = Field(default=None, max_length=128)
    first: bool = False
    reported_at: datetime = _ts()
    rating: Optional[str] = Field(default=None, max_length=32)
    rating_note: Optional[str] = Field(default=None, sa_column=Column(Text))
    rated_at: Optional[datetime] = _ts(nullable=True)


class FollowUp(SQLModel, table=True):
    """A follow-up visit (回访) after resolution: who, when, what they found, how satisfied."""

    __tablename__ = "followup"

    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    visited_at: datetime = _ts()
    satisfaction: str = Field(max_length=32)
    note: Optional[str] = Field(default=None, sa_column=Column(Text))


class TicketEvent(SQLModel, table=True):
    """Append-only log of everything that happened to a ticket."""

    __tablename__ = "ticket_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    at: datetime = _ts()
    # "person:<id>", "resident:<channel>:<user id>" or "system".
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    note: Optional[str] = Field(default=None, sa_column=Column(Text))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class InboundUpdate(SQLModel, table=True):
    """A platform update, stored before it is processed.

    The unique (channel, update_key) drops repeated deliveries (webhook retries,
    re-polled offsets after a crash); ``processed_at`` is set in the same
    transaction as the handlers' effects, so a crash re-runs it cleanly.
    """

    __tablename__ = "inbound_update"
    __table_args__ = (UniqueConstraint("channel", "update_key", name="uq_inbound_update"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    update_key: str = Field(max_length=128)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = _ts()
    processed_at: Optional[datetime] = _ts(nullable=True, index=True)
    error: Optional[str] = Field(default=None, sa_column=Column(Text))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Outbox(SQLModel, table=True):
    """A message to send, written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "channel", "priority", "next_attempt_at"),
        # A reply to one of the bot's messages finds the ticket it was about.
        Index("ix_outbox_platform_message", "channel", "chat_id", "platform_message_id"),
        # A notice reaches each chat once: the fan-out can never write a second row.
        Index("uq_outbox_notice_chat", "notice_id", "channel", "chat_id", unique=True,
              sqlite_where=text("notice_id IS NOT NULL"), postgresql_where=text("notice_id IS NOT NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=128)
    segments: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reply_to_message_id: Optional[str] = Field(default=None, max_length=128)
    # Lower goes first: interactive replies before bulk sends.
    priority: int = 0
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = _ts()
    # A sender holding the row until this time; another replica may take it after.
    claimed_until: Optional[datetime] = _ts(nullable=True)
    # Which process holds the claim (``instance_name``): on restart it takes back its own claims.
    claimed_by: Optional[str] = Field(default=None, max_length=64)
    platform_message_id: Optional[str] = Field(default=None, max_length=128)
    error: Optional[str] = Field(default=None, sa_column=Column(Text))
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id", index=True)
    # What else the message is about, so a reply to it can be understood ("talk_day:<unit>:<month>").
    ref: Optional[str] = Field(default=None, max_length=128)
    # The broadcast notice this row delivers (one row per notice and chat).
    notice_id: Optional[int] = Field(default=None, foreign_key="notice.id")
    created_at: datetime = _ts()
    sent_at: Optional[datetime] = _ts(nullable=True)


class ReminderSent(SQLModel, table=True):
    """One scheduled reminder that went out: (job, target, period) is unique, so a restart, a
    second replica or a re-run never sends it twice. Written in the same transaction as the
    outbox rows it queued."""

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("job", "target", "period", name="uq_reminder_sent"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    job: str = Field(max_length=32)
    target: str = Field(max_length=128)  # a person or unit id
    period: str = Field(max_length=32)  # "2026-12-10" (a day), "2026-12" (a month)
    sent_at: datetime = _ts()
    items: int = 0  # how many things it listed


class TopicStatus(StrEnum):
    OPEN = "open"  # collected, waiting for the talk day
    ANSWERED = "answered"  # the host recorded an outcome
    TICKET = "ticket"  # needs action: became a ticket


class TalkTopic(SQLModel, table=True):
    """A resident's topic (说事主题) for a unit's talk day (支部说事日) of one month."""

    __tablename__ = "talk_topic"
    __table_args__ = (Index("ix_talk_topic_unit_month", "unit_id", "month"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    unit_id: str = Field(foreign_key="unit.id", max_length=64)  # the unit holding the talk day
    month: str = Field(max_length=7)  # "2026-12": the talk day's month
    grid_unit_id: str = Field(foreign_key="unit.id", max_length=64)  # the group it came from
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=128)
    account_id: str = Field(max_length=128)
    resident_name: str = Field(max_length=200)
    message_id: Optional[str] = Field(default=None, max_length=128)
    text: str = Field(sa_column=Column(Text, nullable=False))
    type: Optional[str] = Field(default=None, max_length=32)  # the classifier's guess
    urgent: bool = False  # a pressing worry (急事难事, talk_day.pressing_words): listed first
    created_at: datetime = _ts()
    status: str = Field(default=TopicStatus.OPEN, max_length=16)
    outcome: Optional[str] = Field(default=None, sa_column=Column(Text))
    outcome_by: Optional[str] = Field(default=None, foreign_key="person.id", max_length=64)
    outcome_at: Optional[datetime] = _ts(nullable=True)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id")


class VisitKind(StrEnum):
    VISIT = "visit"  # in person (上门走访)
    CONTACT = "contact"  # online or by phone (线上联系)


class Household(SQLModel, table=True):
    """A household's file (一户一档, minimal): where it is, what kind, who keeps in touch.

    The due dates follow from the last visits and the cadence rules in config; they are
    stored so the daily digest is an index range scan. ``cadence_version`` is the
    fingerprint of the rules they were computed with: a config change recomputes them.
    """

    __tablename__ = "household"
    __table_args__ = (
        Index("ix_household_due", "next_due_at"),
        Index("ix_household_linked", "linked_person_id", "next_due_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=100)  # household head, e.g. 张桂英户
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=64)
    address: Optional[str] = Field(default=None, max_length=200)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    linked_person_id: Optional[str] = Field(default=None, foreign_key="person.id", max_length=64)
    phone: Optional[str] = Field(default=None, max_length=32)
    note: Optional[str] = Field(default=None, sa_column=Column(Text))
    active: bool = True
    registered_at: datetime = _ts()
    last_visit_at: Optional[datetime] = _ts(nullable=True)
    last_contact_at: Optional[datetime] = _ts(nullable=True)
    visit_due_at: Optional[datetime] = _ts(nullable=True)
    contact_due_at: Optional[datetime] = _ts(nullable=True)
    next_due_at: Optional[datetime] = _ts(nullable=True)
    cadence_version: str = Field(default="", max_length=16)


class HouseholdVisit(SQLModel, table=True):
    """A recorded visit or contact (走访记录)."""

    __tablename__ = "household_visit"

    id: Optional[int] = Field(default=None, primary_key=True)
    household_id: str = Field(foreign_key="household.id", index=True, max_length=64)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    kind: str = Field(max_length=16)
    visited_at: datetime = _ts()
    note: Optional[str] = Field(default=None, sa_column=Column(Text))


class NoticeStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time
    SENDING = "sending"  # fanned out: one outbox row per chat
    DONE = "done"  # every row delivered or failed, the report sent


class Notice(SQLModel, table=True):
    """A broadcast (居民通知) to the groups of chosen units."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_status_at", "status", "scheduled_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    sender_id: Optional[str] = Field(default=None, foreign_key="person.id", max_length=64)  # None: the CLI
    # Where the sender asked, for the delivery report (None: the CLI).
    origin_channel: Optional[str] = Field(default=None, max_length=32)
    origin_chat_id: Optional[str] = Field(default=None, max_length=128)
    targets: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # as given
    unit_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # resolved
    status: str = Field(default=NoticeStatus.SCHEDULED, max_length=16)
    scheduled_at: datetime = _ts()
    created_at: datetime = _ts()
    fanned_out_at: Optional[datetime] = _ts(nullable=True)
    chats: int = 0
    reported_at: Optional[datetime] = _ts(nullable=True)


class NoticeAck(SQLModel, table=True):
    """A resident's "收到" to a notice, once per person."""

    __tablename__ = "notice_ack"
    __table_args__ = (UniqueConstraint("notice_id", "channel", "account_id", name="uq_notice_ack"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    channel: str = Field(max_length=32)
    chat_id: str = Field(max_length=128)
    account_id: str = Field(max_length=128)
    at: datetime = _ts()


class LabelledExample(SQLModel, table=True):
    """A message with the type people gave it: training data for ``gridbot train``.

    One row per ticket: a type correction (改类型) writes it, closing the ticket
    sets its final type, a rejection as "not a request" labels it ``none``.
    """

    __tablename__ = "labelled_example"

    id: Optional[int] = Field(default=None, primary_key=True)
    ticket_id: Optional[int] = Field(default=None, foreign_key="ticket.id", unique=True)
    text: str = Field(sa_type=Text)
    label: str = Field(max_length=32)  # a request type key, or "none"
    source: str = Field(max_length=16)  # correction | closed | rejected
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class ClassifierModel(SQLModel, table=True):
    """A model installed by ``gridbot train``; the newest row is the one in use (every replica
    loads it), older rows are kept for the record."""

    __tablename__ = "classifier_model"

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = _ts()
    data: bytes = Field(sa_type=LargeBinary)
    # Scores on the shipped test split and what it was trained on (JSON).
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
