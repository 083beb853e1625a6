"""Roster file: the grid hierarchy, its group chats and its people.

Format (YAML, see docs/roster.md and examples/roster.yaml)::

    units:
      - id: qingshan            # stable key, referenced by people
        name: 青山镇
        level: town             # city / town / village / grid / group / department
        chats: {telegram: ["-1001234567890"]}
        children: [ ...same shape... ]
    people:
      - id: li-wang
        name: 李网格
        unit: qingshan-dongfeng-g1
        roles: [grid_worker]
        handles: [repair]       # optional: request types this person prefers
        accounts: {telegram: 123456789}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .storage.models import UnitLevel

KNOWN_ROLES = {
    "grid_leader": "网格长",
    "grid_worker": "网格员",
    "grid_instructor": "网格指导员",
    "mediator": "调解员",
    "police": "网格警务员",
    "legal": "网格法务员",
    "info_officer": "信息员",
    "party_group_leader": "党小组长",
    "party_member": "联户党员",
    "branch_secretary": "支部书记",
    "village_cadre": "村(社区)干部",
    "centre_staff": "网格中心工作人员",
    "department_contact": "部门联络员",
}

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class RosterError(Exception):
    """The roster file cannot be used; the message names the entry."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _chat_map(value: Any) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("must map a channel name to a list of chat ids")
    out: dict[str, list[str]] = {}
    for channel, ids in value.items():
        if isinstance(ids, (str, int)):
            ids = [ids]
        if not isinstance(ids, list) or not ids:
            raise ValueError(f"{channel}: must be a chat id or a list of chat ids")
        out[str(channel)] = [str(i) for i in ids]
    return out


class UnitEntry(_Entry):
    id: str
    name: str
    level: UnitLevel
    chats: dict[str, list[str]] = Field(default_factory=dict)
    # Free labels for choosing units together, e.g. a broadcast to "#rural" grids.
    tags: list[str] = Field(default_factory=list)
    children: list["UnitEntry"] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(f"{value!r}: ids are 1-64 letters, digits, '.', '_' or '-'")
        return value

    @field_validator("chats", mode="before")
    @classmethod
    def _chats(cls, value: Any) -> dict[str, list[str]]:
        return _chat_map(value)


class PersonEntry(_Entry):
    id: str
    name: str
    unit: str
    roles: list[str] = Field(min_length=1)
    handles: list[str] = Field(default_factory=list)
    phone: str | None = None
    accounts: dict[str, str] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(f"{value!r}: ids are 1-64 letters, digits, '.', '_' or '-'")
        return value

    @field_validator("accounts", mode="before")
    @classmethod
    def _accounts(cls, value: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError("must map a channel name to an account id")
        return {str(k): str(v) for k, v in value.items()}

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> str | None:
        return None if value is None else str(value)


class RosterFile(_Entry):
    units: list[UnitEntry] = Field(min_length=1)
    people: list[PersonEntry] = Field(default_factory=list)


@dataclass(frozen=True)
class RosterUnit:
    id: str
    name: str
    level: str
    parent_id: str | None
    chats: dict[str, list[str]]
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Roster:
    """A validated roster, flattened for import."""

    units: list[RosterUnit]
    people: list[PersonEntry]
    warnings: list[str] = field(default_factory=list)


def parse_roster(data: Any, *, source: str = "roster", request_types: set[str] | None = None) -> Roster:
    try:
        parsed = RosterFile.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: invalid roster"]
        for error in exc.errors():
            key = ".".join(str(p) for p in error["loc"])
            msg = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                msg = "unknown key"
            elif error["type"] == "missing":
                msg = "is required"
            lines.append(f"  {key}: {msg}")
        raise RosterError("\n".join(lines)) from None

    units: list[RosterUnit] = []
    errors: list[str] = []
    warnings: list[str] = []

    def walk(entry: UnitEntry, parent: str | None) -> None:
        units.append(RosterUnit(entry.id, entry.name, entry.level.value, parent, entry.chats, tuple(entry.tags)))
        for child in entry.children:
            walk(child, entry.id)

    for top in parsed.units:
        walk(top, None)

    seen: set[str] = set()
    for unit in units:
        if unit.id in seen:
            errors.append(f"units: duplicate unit id {unit.id!r}")
        seen.add(unit.id)
    chat_owner: dict[tuple[str, str], str] = {}
    for unit in units:
        for channel, ids in unit.chats.items():
            for chat_id in ids:
                other = chat_owner.setdefault((channel, chat_id), unit.id)
                if other != unit.id:
                    errors.append(f"units: chat {channel}:{chat_id} listed under both {other!r} and {unit.id!r}")

    person_ids: set[str] = set()
    account_owner: dict[tuple[str, str], str] = {}
    for index, person in enumerate(parsed.people):
        where = f"people[{index}] ({person.id})"
        if person.id in person_ids:
            errors.append(f"{where}: duplicate person id")
        person_ids.add(person.id)
        if person.unit not in seen:
            errors.append(f"{where}.unit: {person.unit!r} is not a unit id in this roster")
        for role in person.roles:
            if role not in KNOWN_ROLES:
                warnings.append(f"{where}.roles: {role!r} is not a built-in role (allowed, but check the spelling)")
        if request_types is not None:
            for key in person.handles:
                if key not in request_types:
                    errors.append(f"{where}.handles: {key!r} is not a configured request type")
        for channel, account in person.accounts.items():
            other = account_owner.setdefault((channel, account), person.id)
            if other != person.id:
                errors.append(f"{where}.accounts.{channel}: {account} is also the account of {other!r}")
    if errors:
        raise RosterError(f"{source}: invalid roster\n  " + "\n  ".join(errors))
    return Roster(units=units, people=list(parsed.people), warnings=warnings)


def load_roster(path: str | Path, *, request_types: set[str] | None = None) -> Roster:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RosterError(f"{path}: roster file not found (config key: roster)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RosterError(f"{path}: cannot read roster: {exc}") from None
    return parse_roster(data, source=str(path), request_types=request_types)
