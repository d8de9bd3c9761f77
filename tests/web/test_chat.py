"""The web client end to end: people in separate browser contexts, one real server.

Every wait is bounded (``WAIT_MS`` per step). The screenshots of the main
screens in docs/screenshots/ are written by these tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import png
from playwright.sync_api import Browser, expect

from tests.support.server import DevProcess
from tests.web.people import Person


def meet(
    browser: Browser,
    server: DevProcess,
    people: list[Person],
    name: str,
    *,
    phone_sized: bool = False,
) -> Person:
    person = Person(browser, server.url, name, phone_sized=phone_sized)
    people.append(person)
    person.log_in()
    person.set_profile()
    return person


def befriend(asker: Person, answerer: Person) -> None:
    asker.request_friend(answerer)
    answerer.accept_friend(asker)


def a_photo(path: Path) -> Path:
    """A small PNG: a sunset gradient with a sun."""
    width, height = 240, 160
    rows = []
    for y in range(height):
        row: list[int] = []
        for x in range(width):
            inside = (x - 160) ** 2 + (y - 70) ** 2 < 28**2
            sky = (255, 200 - y // 2, 120 + y // 3) if y < 110 else (30, 80 + y // 4, 110)
            row += (255, 240, 150) if inside else sky
        rows.append(row)
    with path.open("wb") as sink:
        png.Writer(width, height, greyscale=False).write(sink, rows)
    return path


def no_page_errors(*people: Person) -> None:
    for person in people:
        assert person.errors == [], f"{person.name}: {person.errors}"


def test_two_people_chat_drop_offline_and_reload(
    browser: Browser, dev_server: DevProcess, people: list[Person], screenshots: Path
) -> None:
    """Two people befriend, chat both ways with ticks and typing; one drops off the
    network and finds every missed message when back, and again after a reload."""
    ann = meet(browser, dev_server, people, "Ann")
    bob = meet(browser, dev_server, people, "Bob", phone_sized=True)
    befriend(ann, bob)

    ann.chat_with(bob)
    ann.send("Hi Bob, it's Ann")
    bob.go("Chats")
    badge = bob.page.locator("a.conv-item", has_text="Ann").locator("[data-unread]")
    expect(badge).to_have_text("1")
    bob.open_chat("Ann")
    bob.expect_messages("Hi Bob, it's Ann")
    expect(ann.message("Hi Bob")).to_have_attribute("data-state", "read")

    bob.composer.press_sequentially("Hello")
    expect(ann.page.get_by_text("Bob is typing…")).to_be_visible()
    bob.composer.fill("")
    bob.send("Hello Ann! Good to see you here.")
    ann.expect_messages("Hi Bob, it's Ann", "Hello Ann! Good to see you here.")

    # Bob's phone loses the network; Ann goes on writing.
    bob.context.set_offline(True)
    expect(bob.page.locator(".conn")).to_have_attribute("data-state", "waiting")
    expect(bob.page.get_by_role("status").filter(has_text="Offline")).to_be_visible()
    missed = ["Are you there?", "The hike is on Saturday", "Bring water"]
    for text in missed:
        ann.send(text)
        expect(ann.message(text)).to_have_attribute("data-state", "sent")
    bob.context.set_offline(False)
    bob.expect_online()
    bob.expect_messages("Hi Bob, it's Ann", "Hello Ann! Good to see you here.", *missed)
    expect(ann.message("Bring water")).to_have_attribute("data-state", "read")

    # A reload keeps nothing but the refresh token and the cursors, and loses nothing.
    bob.page.reload()
    bob.expect_online()
    expect(bob.page.locator("#conv-title")).to_have_text("Ann")
    bob.expect_messages("Hi Bob, it's Ann", "Hello Ann! Good to see you here.", *missed)
    ann.page.reload()
    ann.expect_online()
    ann.expect_messages("Hi Bob, it's Ann", *missed)
    expect(ann.message("Bring water")).to_have_attribute("data-state", "read")

    # Recall, seen on both sides.
    ann.send("Wrong chat, sorry")
    bob.expect_messages("Wrong chat, sorry")
    ann.message("Wrong chat, sorry").get_by_role("button", name="Recall").click()
    expect(bob.page.get_by_text("This message was recalled")).to_be_visible()
    expect(ann.page.get_by_text("You recalled this message")).to_be_visible()

    bob.send("See you Saturday!")
    expect(ann.message("See you Saturday!")).to_be_visible()
    ann.screenshot(screenshots / "chat-desktop.png")
    bob.screenshot(screenshots / "chat-phone.png")
    no_page_errors(ann, bob)


def test_group_of_three_with_a_photo(
    browser: Browser,
    dev_server: DevProcess,
    people: list[Person],
    screenshots: Path,
    tmp_path: Path,
) -> None:
    """Ann makes a group with Bob and Cat; everyone writes and reads everything; a
    photo and a voice message sent to the group reach the others."""
    ann = meet(browser, dev_server, people, "Ann")
    bob = meet(browser, dev_server, people, "Bob")
    cat = meet(browser, dev_server, people, "Cat", phone_sized=True)
    befriend(ann, bob)
    befriend(ann, cat)

    ann.go("Contacts")
    ann.page.get_by_role("button", name="Refresh").click()
    expect(ann.friend_link(cat)).to_be_visible()
    ann.page.get_by_label("Group name").fill("Saturday hike")
    ann.page.get_by_role("checkbox", name="Bob").check()
    ann.page.get_by_role("checkbox", name="Cat").check()
    ann.page.get_by_role("button", name="Create group").click()
    expect(ann.page.locator("#conv-title")).to_have_text("Saturday hike")
    ann.send("Welcome to the hike group!")

    bob.open_chat("Saturday hike")
    bob.send("Count me in")
    cat.open_chat("Saturday hike")
    cat.send("Me too! I'll bring snacks")
    for person in (ann, bob, cat):
        person.expect_messages(
            "Welcome to the hike group!", "Count me in", "Me too! I'll bring snacks"
        )
    expect(ann.message("Welcome to the hike group!")).to_have_attribute("data-state", "read")
    expect(ann.message("Welcome to the hike group!").locator(".ticks")).to_contain_text("2")

    ann.attach_photo(a_photo(tmp_path / "sunset.png"))
    sent = ann.page.get_by_role("log").locator("li.msg[data-kind=image]")
    expect(sent).to_have_attribute("data-state", re.compile("sent|read"))
    for person in (bob, cat):
        photo = person.page.get_by_role("img", name="Photo from Ann")
        expect(photo).to_be_visible()
        person.page.wait_for_function(
            "img => img.complete && img.naturalWidth === 240", arg=photo.element_handle()
        )
    cat.record_voice(1.5)
    clip = ann.page.get_by_role("log").locator("audio")
    expect(clip).to_have_attribute("src", re.compile("voice"))
    clip.evaluate("audio => { audio.preload = 'auto'; audio.load(); }")
    ann.page.wait_for_function("audio => audio.readyState >= 1", arg=clip.element_handle())

    bob.send("Beautiful sunset")
    expect(ann.message("Beautiful sunset")).to_be_visible()
    ann.screenshot(screenshots / "group.png")
    no_page_errors(ann, bob, cat)


def test_feed_bottle_and_profile(
    browser: Browser,
    dev_server: DevProcess,
    people: list[Person],
    screenshots: Path,
    tmp_path: Path,
) -> None:
    """A post with a photo gets a like and a comment from a friend; a bottle thrown
    by one stranger is fished and answered by another, which opens a chat."""
    ann = meet(browser, dev_server, people, "Ann")
    bob = meet(browser, dev_server, people, "Bob")
    befriend(ann, bob)

    ann.go("Moments")
    ann.page.get_by_role("textbox", name="New post").fill("First light on the ridge this morning.")
    with ann.page.expect_file_chooser() as chooser:
        ann.page.get_by_role("button", name="Add photos").click()
    chooser.value.set_files(str(a_photo(tmp_path / "ridge.png")))
    ann.page.get_by_role("button", name="Post", exact=True).click()
    post = ann.page.locator("li.post", has_text="First light")
    expect(post.get_by_role("img", name="Photo by Ann")).to_be_visible()

    bob.go("Moments")
    theirs = bob.page.locator("li.post", has_text="First light")
    theirs.get_by_role("button", name="0 likes").click()
    expect(theirs.get_by_role("button", name="1 like")).to_have_attribute("aria-pressed", "true")
    theirs.get_by_role("textbox", name="Comment on Ann's post").fill("Worth the early start!")
    theirs.get_by_role("button", name="Comment").click()
    expect(theirs.get_by_text("Worth the early start!")).to_be_visible()

    ann.page.get_by_role("button", name="Refresh").click()
    expect(post.get_by_text("Worth the early start!")).to_be_visible()
    expect(post.get_by_role("button", name="1 like")).to_be_visible()
    ann.screenshot(screenshots / "feed.png")

    # Bob throws a bottle; Cat, a stranger nearby, fishes it and answers.
    cat = meet(browser, dev_server, people, "Cat")
    bob.go("Bottles")
    bob.page.get_by_label("Latitude").fill("48.8566")
    bob.page.get_by_label("Longitude").fill("2.3522")
    bob.page.get_by_label("Message in the bottle").fill("Anyone up for a picnic by the river?")
    bob.page.get_by_role("button", name="Throw").click()
    expect(bob.page.get_by_text("Your bottle is drifting.")).to_be_visible()
    cat.go("Bottles")
    cat.page.get_by_label("Latitude").fill("48.85")
    cat.page.get_by_label("Longitude").fill("2.35")
    cat.page.get_by_role("button", name="Fish").click()
    expect(cat.page.get_by_text("Anyone up for a picnic by the river?")).to_be_visible()
    cat.page.get_by_label("Your reply").fill("Yes! Sunday noon?")
    cat.page.get_by_role("button", name="Reply", exact=True).click()
    cat.expect_messages("Yes! Sunday noon?")
    bob.go("Chats")
    bob.page.locator("a.conv-item", has_text="Cat").click()
    bob.expect_messages("Yes! Sunday noon?")

    ann.go("Me")
    expect(ann.page.get_by_role("img", name="My add-friend QR code")).to_be_visible()
    ann.page.wait_for_function(
        "() => document.querySelector('img.qr').naturalWidth > 0", timeout=10_000
    )
    ann.screenshot(screenshots / "profile.png")
    no_page_errors(ann, bob, cat)


def test_login_screen_and_security_headers(
    browser: Browser, dev_server: DevProcess, people: list[Person], screenshots: Path
) -> None:
    """The page is served with a strict CSP, keeps no access token in storage, and
    works from the keyboard alone."""
    dana = Person(browser, dev_server.url, "Dana", phone_sized=True)
    people.append(dana)
    answer = dana.page.goto(dev_server.url)
    assert answer is not None
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert answer.headers["content-type"].startswith("text/html")

    page = dana.page
    page.keyboard.type(dana.phone)  # the phone field has focus on arrival
    page.keyboard.press("Enter")
    expect(page.get_by_label("Code from the text message")).to_have_value(re.compile(r"^\d{6}$"))
    dana.screenshot(screenshots / "login.png")
    page.keyboard.press("Enter")  # the Log in button has focus
    dana.expect_online()

    keys = page.evaluate("() => Object.keys(localStorage)")
    assert set(keys) <= {"echo.accounts"} | {k for k in keys if k.startswith("echo.cursors.")}
    refresh_tokens = page.evaluate("() => Object.values(JSON.parse(localStorage['echo.accounts']))")
    assert len(refresh_tokens) == 1
    everything = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    assert "eyJ" not in everything, "an access token (a JWT) is kept in web storage"
    no_page_errors(dana)
