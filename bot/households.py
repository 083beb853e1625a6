"""Reading a household register (一户一档) from CSV, as village cadres keep it in a spreadsheet.

Columns (English or Chinese headers, any order; ``id``, ``name`` and ``grid`` required):

=========  ====================  ==================================================
id         户号 / 户编号 / 编号    stable key: letters, digits, . _ - (max 64)
name       户主 / 户名 / 姓名      household head, shown in reminders
grid       网格 / 所属网格        a unit id of the roster (usually a grid)
address    地址 / 住址 / 门牌      optional
tags       标签 / 类别 / 户类型     optional, separated by 、 , ， ; ； | or spaces
linked     联户人 / 包联人 / 联系人  optional person id (or a name unique in the roster)
phone      电话 / 联系电话         optional
note       备注                  optional
=========  ====================  ==================================================

UTF-8 (with or without the BOM Excel writes) or GB18030. A file with any error imports
nothing and lists every problem with its line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .storage.households import HouseholdRecord

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "户号", "户编号", "编号", "户籍编号"),
    "name": ("name", "户主", "户名", "户主姓名", "姓名"),
    "grid": ("grid", "unit", "网格", "所属网格", "网格编号"),
    "address": ("address", "地址", "住址", "门牌", "门牌号"),
    "tags": ("tags", "标签", "类别", "户类型", "户类别"),
    "linked": ("linked", "linked_person", "联户人", "包联人", "联系人", "联户干部", "联户党员"),
    "phone": ("phone", "电话", "联系电话", "手机"),
    "note": ("note", "备注"),
}
REQUIRED = ("id", "name", "grid")
_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")
_TAG_SPLIT = re.compile(r"[、,，;；|/\s]+")


class HouseholdFileError(Exception):
    """The file cannot be imported; the message lists every problem."""


@dataclass
class HouseholdFile:
    records: list[HouseholdRecord]
    warnings: list[str] = field(default_factory=list)


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise HouseholdFileError("the file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8")


def load_households(path: str | Path, *, units: Mapping[str, str], people: Mapping[str, str]) -> HouseholdFile:
    """Read and check a register. ``units``: unit id -> name; ``people``: person id -> name
    (active roster members), to check the grid and linked columns."""
    try:
        text = _decode(Path(path).read_bytes())
    except OSError as exc:
        raise HouseholdFileError(f"cannot read {path}: {exc.strerror}") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise HouseholdFileError(f"{path}: the file is empty; the first line must name the columns "
                                 f"({', '.join(COLUMNS)})")
    aliases = {alias.lower(): key for key, names in COLUMNS.items() for alias in names}
    index: dict[str, int] = {}
    for i, title in enumerate(header):
        key = aliases.get(title.strip().lower())
        if key is not None and key not in index:
            index[key] = i
    missing = [k for k in REQUIRED if k not in index]
    if missing:
        raise HouseholdFileError(f"{path}: missing column(s) {', '.join(missing)} (headers may be "
                                 + "; ".join(f"{k}: {'/'.join(COLUMNS[k])}" for k in missing) + ")")
    by_name: dict[str, list[str]] = {}
    for person_id, name in people.items():
        by_name.setdefault(name, []).append(person_id)
    errors: list[str] = []
    warnings: list[str] = []
    records: list[HouseholdRecord] = []
    seen: dict[str, int] = {}
    unlinked = 0
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(key: str) -> str:
            i = index.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        where = f"line {line}"
        household_id, name, grid = cell("id"), cell("name"), cell("grid")
        if not _ID.fullmatch(household_id):
            errors.append(f"{where}: id {household_id!r} must be 1-64 letters, digits, . _ or -")
            continue
        where = f"line {line} ({household_id})"
        if household_id in seen:
            errors.append(f"{where}: id repeats line {seen[household_id]}")
            continue
        seen[household_id] = line
        if not name:
            errors.append(f"{where}: name is empty")
        elif len(name) > 100:
            errors.append(f"{where}: name is longer than 100 characters")
        if grid not in units:
            errors.append(f"{where}: grid {grid!r} is not a unit id in the roster")
        linked = cell("linked") or None
        if linked is not None and linked not in people:
            matches = by_name.get(linked, [])
            if len(matches) == 1:
                linked = matches[0]
            elif matches:
                errors.append(f"{where}: linked {linked!r} names {len(matches)} people; use the person id "
                              f"({', '.join(sorted(matches))})")
            else:
                errors.append(f"{where}: linked {linked!r} is not a person id or name in the roster")
        tags = tuple(dict.fromkeys(t for t in _TAG_SPLIT.split(cell("tags")) if t))
        if not linked:
            unlinked += 1
        records.append(HouseholdRecord(
            id=household_id, name=name[:100], unit_id=grid, address=cell("address")[:200] or None, tags=tags,
            linked_person_id=linked, phone=cell("phone")[:32] or None, note=cell("note") or None))
    if unlinked:
        warnings.append(f"{unlinked} household(s) have no linked person; the grid worker of their grid is "
                        "reminded of their visits")
    if errors:
        shown = errors[:50] + ([f"... and {len(errors) - 50} more"] if len(errors) > 50 else [])
        raise HouseholdFileError(f"{path}: {len(errors)} problem(s), nothing imported:\n  " + "\n  ".join(shown))
    return HouseholdFile(records=records, warnings=warnings)
