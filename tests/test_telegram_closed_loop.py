"""The closed loop on Telegram: the real python-telegram-bot client against the fake Bot API
server. Workers use Chinese and slash commands; residents rate with the inline keyboard."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Ticket

from .conftest import eventually, running, ticket_number
from .fake_telegram import BOT_USERNAME
from .test_telegram_e2e import GRID_CHAT, RESIDENT, VILLAGE_CHAT, WORKER, fake_tg, tg_bot  # noqa: F401

VILLAGE_LEADER = 7000100


def ticket_of(bot, number: int) -> Ticket:  # noqa: ANN001
    return bot.db.run_sync(lambda s: s.execute(select(Ticket).where(Ticket.id == number)).scalar_one())


async def test_commands_and_inline_keyboard_rating(make_config, database_url, fake_tg):  # noqa: F811
    bot = tg_bot(make_config, database_url, fake_tg)
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="村口的路灯坏了一个星期了，晚上黑乎乎的"))
        [ack] = await fake_tg.wait_for_sent(1)
        number = ticket_number(ack.text)

        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=int(WORKER), text=f"接单 {number}", first_name="李网格"))
        await fake_tg.wait_for_sent(2)
        assert f'<a href="tg://user?id={RESIDENT}">' in fake_tg.sent[1].text and "受理" in fake_tg.sent[1].text

        # Slash form with the bot's name, as Telegram clients send it in groups.
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=int(WORKER), first_name="李网格",
            text=f"/resolve@{BOT_USERNAME} {number} 已更换灯泡，晚上亮了"))
        [*_, feedback] = await fake_tg.wait_for_sent(3)
        assert "已更换灯泡，晚上亮了" in feedback.text and f"tg://user?id={RESIDENT}" in feedback.text
        keyboard = feedback.reply_markup["inline_keyboard"]
        assert [[b["text"] for b in row] for row in keyboard] == [["满意", "基本满意", "不满意"]]
        assert keyboard[0][0]["callback_data"] == f"评价 {number} 满意"

        # A neighbour presses a button: told politely, nothing changes.
        press = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT + 7, first_name="路人",
                                             data=keyboard[0][2]["callback_data"], message_id=feedback.message_id)
        await fake_tg.push_update(press)
        await fake_tg.wait_for_callback_answer(press["callback_query"]["id"])
        [*_, refusal] = await fake_tg.wait_for_sent(4)
        assert "只有反映该问题的居民可以评价" in refusal.text
        assert ticket_of(bot, number).status == "resolved"

        # The resident presses 满意.
        press = fake_tg.make_callback_update(chat_id=GRID_CHAT, user_id=RESIDENT, data=keyboard[0][0]["callback_data"],
                                             message_id=feedback.message_id)
        await fake_tg.push_update(press)
        await fake_tg.wait_for_callback_answer(press["callback_query"]["id"])
        [*_, thanks] = await fake_tg.wait_for_sent(5)
        assert "感谢您的评价（满意）" in thanks.text
        assert thanks.reply_to_message_id == feedback.message_id
    ticket = ticket_of(bot, number)
    assert (ticket.status, ticket.satisfaction) == ("closed", "satisfied")


async def test_escalation_reaches_the_village_group_with_a_mention(make_config, database_url, fake_tg):  # noqa: F811
    bot = tg_bot(make_config, database_url, fake_tg)
    async with running(bot):
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="二组的垃圾堆了半个月没人清运，臭得不行"))
        [ack] = await fake_tg.wait_for_sent(1)
        number = ticket_number(ack.text)
        # A reply to the bot's ticket message needs no number.
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=int(WORKER), text="上报 需要村里联系环卫公司", first_name="李网格",
            reply_to_bot_message=ack.message_id))
        await eventually(lambda: fake_tg.sent_to(VILLAGE_CHAT))
        [notice] = fake_tg.sent_to(VILLAGE_CHAT)
        assert f"工单 #{number}" in notice.text and f"tg://user?id={VILLAGE_LEADER}" in notice.text
        assert "需要村里联系环卫公司" in notice.text
    assert ticket_of(bot, number).level_unit_id == "dongfeng"


async def test_talk_day_notice_and_a_reply_to_it_on_telegram(make_config, database_url, fake_tg):  # noqa: F811
    """The scheduled notice goes out through the real client; a resident's reply to it is a topic."""
    from datetime import datetime

    from bot.clock import FrozenClock
    from bot.storage.models import TalkTopic

    from .harness import SHANGHAI

    bot = tg_bot(make_config, database_url, fake_tg, clock=FrozenClock(datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)))
    async with running(bot):
        # The scheduler's start-up run sends the notice into every group of both villages.
        await eventually(lambda: fake_tg.sent_to(GRID_CHAT))
        [notice] = fake_tg.sent_to(GRID_CHAT)
        assert "支部说事日预告" in notice.text and "12月10日" in notice.text
        await fake_tg.push_update(fake_tg.make_message_update(
            chat_id=GRID_CHAT, user_id=RESIDENT, text="希望村里在小学门口装个减速带",
            reply_to_bot_message=notice.message_id))
        await eventually(lambda: len(fake_tg.sent_to(GRID_CHAT)) == 2)
        ack = fake_tg.sent_to(GRID_CHAT)[1]
        assert "已收到您的说事议题" in ack.text and ack.reply_to_message_id is not None
    topics = bot.db.run_sync(lambda s: list(s.execute(select(TalkTopic)).scalars()))
    assert [(t.unit_id, t.month, t.chat_id, t.text) for t in topics] == [
        ("dongfeng", "2026-12", str(GRID_CHAT), "希望村里在小学门口装个减速带")]
