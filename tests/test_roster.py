"""Roster file validation and import into the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy

import pytest
import yaml
from sqlalchemy import select

from bot.roster import RosterError, load_roster, parse_roster
from bot.storage import roster_store
from bot.storage.db import Database, create_db_engine, upgrade
from bot.storage.models import Chat, Person, PersonAccount, Unit
from bot.storage.roster_index import RosterCache

from .conftest import REPO

EXAMPLE = REPO / "examples" / "roster.yaml"


def example_data() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def test_example_roster_is_a_town_with_two_villages_and_grids():
    roster = load_roster(EXAMPLE, request_types={"repair", "safety", "environment", "assistance", "inquiry"})
    levels = {u.id: u.level for u in roster.units}
    assert levels["qingshan"] == "town"
    assert sorted(u.id for u in roster.units if u.level == "village") == ["dongfeng", "liutang"]
    assert len([u for u in roster.units if u.level == "grid"]) >= 4
    parents = {u.id: u.parent_id for u in roster.units}
    assert parents["dongfeng-g1"] == "dongfeng" and parents["dongfeng"] == "qingshan"
    roles = {role for p in roster.people for role in p.roles}
    assert {"grid_leader", "grid_worker", "mediator", "police"} <= roles
    assert roster.warnings == []


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["people"].append(dict(d["people"][0])), "duplicate person id"),
    (lambda d: d["people"][0].update(unit="atlantis"), "'atlantis' is not a unit id"),
    (lambda d: d["people"][3].update(handles=["teleport"]), "'teleport' is not a configured request type"),
    (lambda d: d["people"][1].update(accounts={"telegram": 7000001}), "is also the account of 'zhou-zhongxin'"),
    (lambda d: d["units"][0]["children"].append(copy.deepcopy(d["units"][0]["children"][0])), "duplicate unit id"),
    (lambda d: d["units"][0].update(level="galaxy"), "units.0.level"),
    (lambda d: d["people"][0].update(roles=[]), "people.0.roles"),
    (lambda d: d["people"][0].update(nmae="x"), "people.0.nmae: unknown key"),
    (lambda d: d["units"][0]["children"][1]["children"][1].update(chats={"telegram": ["-1001000000101"]}),
     "listed under both"),
])
def test_invalid_rosters_name_the_entry(mutate, expected):
    data = example_data()
    mutate(data)
    with pytest.raises(RosterError) as info:
        parse_roster(data, source="r.yaml", request_types={"repair", "safety", "environment", "assistance",
                                                           "inquiry"})
    assert expected in str(info.value)


def test_unknown_role_is_a_warning_not_an_error():
    data = example_data()
    data["people"][0]["roles"] = ["grid_leeder"]
    roster = parse_roster(data)
    assert any("grid_leeder" in w for w in roster.warnings)


def test_import_and_reimport(database_url):
    engine = create_db_engine(database_url)
    upgrade(engine)
    db = Database(engine)
    first = db.run_sync(roster_store.import_roster, load_roster(EXAMPLE))
    assert first.units == 9 and first.people == len(example_data()["people"])

    cache = RosterCache()
    index = db.run_sync(cache.get)
    assert db.run_sync(cache.get) is index  # unchanged roster: no reload
    snapshot = {
        "chat": index.chat("telegram", "-1001000000101").unit_id,
        "webchat": index.chat("webchat", "dongfeng-g1").unit_id,
        "li": index.person_by_account("telegram", "7000111").id,
        "li_web": index.person_by_account("webchat", "li-wangge").id,
        "chain": [u.id for u in index.chain("dongfeng-g1")],
    }
    assert snapshot == {"chat": "dongfeng-g1", "webchat": "dongfeng-g1", "li": "li-wangge",
                                     "li_web": "li-wangge", "chain": ["dongfeng-g1", "dongfeng", "qingshan"]}
    # Re-import with a grid and a person removed and a chat moved: nothing duplicated, absent ones inactive.
    data = example_data()
    data["units"][0]["children"][1]["children"].pop()  # dongfeng-g3
    data["people"] = [p for p in data["people"] if p["unit"] != "dongfeng-g3"]
    second = db.run_sync(roster_store.import_roster, parse_roster(data))
    assert second.deactivated_units == 1 and second.deactivated_people == 2

    def state(s):  # noqa: ANN001, ANN202
        return (
            s.get(Unit, "dongfeng-g3").active,
            s.get(Person, "he-wangge").active,
            s.execute(select(Chat).where(Chat.chat_id == "-1001000000103")).first(),
            len(list(s.execute(select(PersonAccount)).scalars())),
        )

    active_unit, active_person, chat, accounts = db.run_sync(state)
    assert (active_unit, active_person, chat) == (False, False, None)
    fresh = db.run_sync(cache.get)  # the import bumped the revision: reloaded
    assert fresh is not index and fresh.revision == index.revision + 1
    assert fresh.person_by_account("telegram", "7000131") is None and "dongfeng-g3" not in fresh.units
    assert fresh.chat("telegram", "-1001000000103") is None
    assert accounts == 2 * (len(example_data()["people"]) - 2)  # telegram + webchat each
    engine.dispose()
