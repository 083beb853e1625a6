"""The web chat page driven in headless Chromium (Debian's chromium, via Playwright)."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import GridBot
from bot.storage.models import Ticket

from .conftest import eventually, headless_chromium, keep_screenshots, running, ticket_number


async def test_resident_reports_in_the_page_and_worker_sees_the_mention(make_config, tmp_path, chromium_path):
    bot = GridBot(make_config())
    async with running(bot), headless_chromium(chromium_path) as browser:
        page = await browser.new_page(viewport={"width": 1100, "height": 720})
        await page.goto(f"http://127.0.0.1:{bot.http_port}/")
        # The first grid group is opened by default, as a resident.
        await page.wait_for_selector(".group.active")
        assert "东风村第一网格" in await page.inner_text("#title")
        await page.fill("#resident-name", "居民张三")
        await page.fill("#text", "楼下的路灯坏了一个多星期了，晚上黑灯瞎火的")
        await page.press("#text", "Enter")
        bot_bubble = page.locator(".msg.bot .bubble").last
        await bot_bubble.wait_for(timeout=15000)
        reply = await bot_bubble.inner_text()
        assert "【设施报修】" in reply and "工单 #" in reply
        assert await page.locator(".msg.me .bubble").first.inner_text() == "楼下的路灯坏了一个多星期了，晚上黑灯瞎火的"
        assert await bot_bubble.locator(".mention").inner_text() == "@李网格"
        await page.screenshot(path=str(tmp_path / "resident.png"))

        # The worker opens the same group: history shows the ticket and the mention is highlighted.
        worker = await browser.new_page(viewport={"width": 400, "height": 760})  # phone-sized
        await worker.goto(f"http://127.0.0.1:{bot.http_port}/")
        await worker.wait_for_selector(".group.active")
        await worker.select_option("#who", "li-wangge")
        highlighted = worker.locator(".mention.you")
        await highlighted.first.wait_for(timeout=10000)
        assert await highlighted.first.inner_text() == "@李网格"
        await worker.screenshot(path=str(tmp_path / "worker.png"))
        keep_screenshots(tmp_path, "resident.png", "worker.png")


async def test_resident_rates_the_result_with_a_chip(make_config, chromium_path):
    """Report as a resident, resolve as the worker in a second page, rate with the 满意 chip."""
    bot = GridBot(make_config(), run_jobs=False)
    async with running(bot), headless_chromium(chromium_path) as browser:
        resident = await browser.new_page(viewport={"width": 400, "height": 760})
        await resident.goto(f"http://127.0.0.1:{bot.http_port}/")
        await resident.wait_for_selector(".group.active")
        await resident.fill("#resident-name", "居民张三")
        await resident.fill("#text", "村口的路灯坏了一个星期了，晚上黑乎乎的")
        await resident.press("#text", "Enter")
        ack = resident.locator(".msg.bot .bubble").last
        await ack.wait_for(timeout=15000)
        number = ticket_number(await ack.inner_text())

        worker = await browser.new_page(viewport={"width": 1100, "height": 720})
        await worker.goto(f"http://127.0.0.1:{bot.http_port}/")
        await worker.wait_for_selector(".group.active")
        await worker.select_option("#who", "li-wangge")
        await worker.fill("#text", f"办结 {number} 已更换灯泡，晚上亮了")
        await worker.press("#text", "Enter")

        chip = resident.locator(".chip", has_text="满意").first
        await chip.wait_for(timeout=15000)
        assert [await c.inner_text() for c in await resident.locator(".chip").all()] == ["满意", "基本满意", "不满意"]
        await chip.click()
        thanks = resident.locator(".msg.bot .bubble", has_text="感谢您的评价")
        await thanks.wait_for(timeout=15000)
        assert "满意" in await thanks.inner_text()
        ticket = await eventually(lambda: bot.db.run_sync(
            lambda s: s.execute(select(Ticket).where(Ticket.id == number, Ticket.status == "closed"))
            .scalar_one_or_none()))
        assert ticket.satisfaction == "satisfied"
