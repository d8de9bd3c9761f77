"""A person using the web client in their own browser context, through what the
screen shows: labels, roles and names, the way assistive technology sees it."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from tests.support.accounts import new_phone

WAIT_MS = 15_000
"""The longest any single step or expectation may take before the test fails."""
expect.set_options(timeout=WAIT_MS)
DESKTOP = {"width": 1100, "height": 700}
PHONE = {"width": 390, "height": 760}


class Person:
    def __init__(self, browser: Browser, url: str, name: str, *, phone_sized: bool = False):
        self.url = url
        self.name = name
        self.handle = f"{name.lower()}{new_phone()[-4:]}"
        self.phone = new_phone()
        self.context = browser.new_context(
            viewport=PHONE if phone_sized else DESKTOP,
            device_scale_factor=1,
            locale="en-US",
            timezone_id="UTC",
        )
        self.context.set_default_timeout(WAIT_MS)
        self.context.grant_permissions(["microphone"], origin=url)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def close(self) -> None:
        self.context.close()

    # -- getting in ----------------------------------------------------------------

    def log_in(self) -> None:
        page = self.page
        page.goto(self.url)
        page.get_by_label("Phone number, with country code").fill(self.phone)
        page.get_by_role("button", name="Send code").click()
        expect(page.get_by_text("Development server: no text message is sent")).to_be_visible()
        expect(page.get_by_label("Code from the text message")).to_have_value(
            re.compile(r"^\d{6}$")
        )
        page.get_by_role("button", name="Log in").click()
        self.expect_online()

    def expect_online(self) -> None:
        expect(self.page.get_by_role("status").filter(has_text="Online")).to_be_visible()
        expect(self.page.locator(".conn")).to_have_attribute("data-state", "online")

    def go(self, section: str) -> None:
        nav = self.page.get_by_role("navigation", name="Sections")
        # A badge adds to the name ("Chats 2 unread"), so match the start.
        nav.get_by_role("link", name=re.compile(rf"^{section}\b")).click()
        expect(self.page.get_by_role("heading", level=1)).to_be_visible()

    def set_profile(self) -> None:
        self.go("Me")
        self.page.get_by_label("Name").fill(self.name)
        self.page.get_by_label("Handle").fill(self.handle)
        self.page.get_by_role("button", name="Save profile").click()
        expect(self.page.get_by_text(f"echosphere://add/{self.handle}")).to_be_visible()

    # -- contacts ------------------------------------------------------------------

    def request_friend(self, other: Person) -> None:
        """Find the other by the link their QR code holds and send a request."""
        self.go("Contacts")
        self.page.get_by_label("Handle, phone number or add-friend link").fill(
            f"echosphere://add/{other.handle}"
        )
        self.page.get_by_role("button", name="Find").click()
        self.page.get_by_role("button", name="Send friend request").click()
        expect(self.page.get_by_text("Friend request sent.").first).to_be_visible()

    def accept_friend(self, other: Person) -> None:
        self.go("Contacts")
        accept = self.page.get_by_role("button", name=f"Accept {other.name}")
        expect(accept).to_be_visible(timeout=2 * WAIT_MS)  # the request list is polled
        accept.click()
        expect(self.friend_link(other)).to_be_visible()

    def friend_link(self, other: Person) -> Locator:
        return self.page.get_by_role("link", name=f"Message {other.name}")

    def chat_with(self, other: Person) -> None:
        self.go("Contacts")
        self.page.get_by_role("button", name="Refresh").click()
        self.friend_link(other).click()
        expect(self.page.locator("#conv-title")).to_have_text(other.name)

    # -- chatting ------------------------------------------------------------------

    def open_chat(self, title: str) -> None:
        self.go("Chats")
        self.page.locator("a.conv-item", has_text=title).click()
        expect(self.page.locator("#conv-title")).to_have_text(title)

    @property
    def composer(self) -> Locator:
        return self.page.get_by_role("textbox", name="Message")

    def send(self, text: str) -> None:
        self.composer.fill(text)
        self.composer.press("Enter")
        expect(self.message(text)).to_have_attribute(
            "data-state", re.compile("sent|delivered|read")
        )

    def message(self, text: str) -> Locator:
        return self.page.get_by_role("log").locator("li.msg", has_text=text)

    def expect_messages(self, *texts: str) -> None:
        """Each text shows once, in this order."""
        for text in texts:
            expect(self.message(text)).to_have_count(1)
        shown = self.page.get_by_role("log").locator("li.msg .bubble").all_inner_texts()
        positions = [next(i for i, s in enumerate(shown) if t in s) for t in texts]
        assert positions == sorted(positions), shown

    def attach_photo(self, path: Path) -> None:
        with self.page.expect_file_chooser() as chooser:
            self.page.get_by_role("button", name="Send a photo").click()
        chooser.value.set_files(str(path))

    def record_voice(self, seconds: float) -> None:
        record = self.page.get_by_role("button", name="Record a voice message")
        record.click()
        expect(record).to_have_attribute("aria-pressed", "true")
        self.page.wait_for_timeout(seconds * 1000)
        record.click()
        expect(record).to_have_attribute("aria-pressed", "false")

    def screenshot(self, path: Path) -> None:
        """The screen as it is, without passing notices."""
        self.page.evaluate("() => document.getElementById('toasts').replaceChildren()")
        self.page.wait_for_timeout(300)  # let the last frame settle
        self.page.screenshot(path=str(path))
