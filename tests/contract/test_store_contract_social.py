"""The Store contract for media, the feed and drifting bottles, run against every adapter.

What matters most here: a like or pick recorded twice changes nothing (and
says so), deleting a post takes its likes and comments along, paging by id
is newest first for posts and oldest first for comments, and of fishers
racing for one bottle exactly one gets it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from echosphere.core.ids import UserId, new_id
from echosphere.core.media import MediaKind, MediaObject, MediaUse, UseScope, new_media_key
from echosphere.core.models import User
from echosphere.core.ports import Store
from echosphere.core.social import Bottle, Comment, Post

OpenStore = Callable[[], Awaitable[Store]]


def uid() -> UserId:
    return UserId(new_id())


def media(owner: UserId, kind: MediaKind = MediaKind.IMAGE) -> MediaObject:
    return MediaObject(
        key=new_media_key(kind),
        owner=owner,
        kind=kind,
        content_type="image/png",
        size=1234,
        created_at=5.0,
    )


def post(author: UserId, text: str = "hello", media: tuple[str, ...] = ()) -> Post:
    return Post(id=new_id(), author=author, text=text, media=media, created_at=10.0)


def bottle(owner: UserId, *, expires_at: float = 1_000.0) -> Bottle:
    return Bottle(
        id=new_id(),
        owner=owner,
        text="anyone there?",
        media=None,
        lat=48.85,
        lon=2.35,
        created_at=1.0,
        expires_at=expires_at,
    )


# Users keep their pictures.


async def test_user_pictures_round_trip(store: Store) -> None:
    """The feed cover and chat background are user fields like the others."""
    user = await store.create_user(User(id=uid(), phone="+15550000123", created_at=1.0))
    assert (user.feed_cover, user.chat_background) == (None, None)
    changed = await store.update_user(user.id, {"feed_cover": "a", "chat_background": "b"})
    assert (changed.feed_cover, changed.chat_background) == ("a", "b")
    assert await store.get_user(user.id) == changed


# Media.


async def test_media_round_trip(store: Store) -> None:
    """A declared object reads back; marking it uploaded records the stored size."""
    made = media(uid())
    await store.create_media(made)
    assert await store.get_media(made.key) == made
    await store.mark_uploaded(made.key, size=1000)
    found = await store.get_media(made.key)
    assert found is not None and found.uploaded and found.size == 1000
    assert await store.get_media(new_media_key(MediaKind.IMAGE)) is None


async def test_media_uses_are_recorded_once(store: Store) -> None:
    """Recording a use twice keeps one; uses are removed by scope and ref."""
    made = media(uid())
    await store.create_media(made)
    in_chat = MediaUse(made.key, UseScope.CONV, "d:A:B", 3)
    in_post = MediaUse(made.key, UseScope.POST, "P1")
    for use in (in_chat, in_chat, in_post):
        await store.add_media_use(use)
    assert await store.media_uses(made.key) == [in_chat, in_post]
    await store.remove_media_uses(UseScope.POST, "P1")
    assert await store.media_uses(made.key) == [in_chat]


# Posts.


async def test_post_round_trip_and_delete(store: Store) -> None:
    """A post reads back with its media keys; deleting says whether there was one."""
    made = post(uid(), media=("image.x", "video.y"))
    await store.create_post(made)
    assert await store.get_post(made.id) == made
    assert await store.delete_post(made.id) is True
    assert await store.get_post(made.id) is None
    assert await store.delete_post(made.id) is False


async def test_posts_page_newest_first(store: Store) -> None:
    """list_posts gives the authors' posts by descending id, paged by ``before``."""
    ada, bob, eve = uid(), uid(), uid()
    made = [post(author) for author in (ada, bob, eve, ada, bob)]
    for item in made:
        await store.create_post(item)
    theirs = [p.id for p in reversed(made) if p.author in (ada, bob)]
    first = await store.list_posts([ada, bob], before=None, limit=3)
    assert [p.id for p in first] == theirs[:3]
    second = await store.list_posts([ada, bob], before=first[-1].id, limit=3)
    assert [p.id for p in second] == theirs[3:]
    assert await store.list_posts([], before=None, limit=3) == []


# Likes.


async def test_like_twice_changes_once(store: Store) -> None:
    """add_like and remove_like say whether they changed anything; the count follows."""
    made = post(uid())
    await store.create_post(made)
    fan = uid()
    assert await store.add_like(made.id, fan, now=1.0) is True
    assert await store.add_like(made.id, fan, now=2.0) is False
    assert await store.count_likes(made.id) == 1
    assert await store.liked_posts(fan, [made.id, "other"]) == {made.id}
    assert await store.remove_like(made.id, fan) is True
    assert await store.remove_like(made.id, fan) is False
    assert await store.count_likes(made.id) == 0


async def test_likes_list_oldest_first(store: Store) -> None:
    """list_likes shows who liked and when, oldest first."""
    made = post(uid())
    await store.create_post(made)
    first, second = uid(), uid()
    await store.add_like(made.id, second, now=2.0)
    await store.add_like(made.id, first, now=1.0)
    assert [(like.user, like.created_at) for like in await store.list_likes(made.id)] == [
        (first, 1.0),
        (second, 2.0),
    ]


async def test_like_of_missing_post_is_refused(store: Store) -> None:
    """Liking a post that does not exist changes nothing."""
    assert await store.add_like(new_id(), uid(), now=1.0) is False


async def test_concurrent_likes_count_each_user_once(open_store: OpenStore) -> None:
    """Many tasks on two stores liking at once: each user counted and reported once."""
    one, two = await open_store(), await open_store()
    made = post(uid())
    await one.create_post(made)
    fans = [uid() for _ in range(15)]
    results = await asyncio.gather(
        *(s.add_like(made.id, fan, now=1.0) for fan in fans for s in (one, two))
    )
    assert sum(results) == len(fans)
    assert await one.count_likes(made.id) == len(fans)


async def test_deleting_a_post_deletes_its_likes_and_comments(store: Store) -> None:
    """After delete_post nothing of the post remains."""
    made = post(uid())
    await store.create_post(made)
    fan = uid()
    await store.add_like(made.id, fan, now=1.0)
    await store.add_comment(Comment(new_id(), made.id, fan, "nice", 1.0))
    await store.delete_post(made.id)
    assert await store.count_likes(made.id) == 0
    assert await store.list_comments(made.id, after=None, limit=10) == []


# Comments.


async def test_comments_page_oldest_first(store: Store) -> None:
    """Comments read back in id order, paged by ``after``; replies keep whom they answer."""
    made = post(uid())
    await store.create_post(made)
    ada, bob = uid(), uid()
    first = Comment(new_id(), made.id, ada, "first", 1.0)
    reply = Comment(new_id(), made.id, bob, "re", 2.0, reply_to=first.id, reply_to_user=ada)
    third = Comment(new_id(), made.id, ada, "third", 3.0)
    for comment in (first, reply, third):
        await store.add_comment(comment)
    assert await store.get_comment(reply.id) == reply
    assert await store.list_comments(made.id, after=None, limit=2) == [first, reply]
    assert await store.list_comments(made.id, after=reply.id, limit=2) == [third]
    assert await store.delete_comment(reply.id) is True
    assert await store.delete_comment(reply.id) is False
    assert await store.list_comments(made.id, after=None, limit=10) == [first, third]


# Bottles.


async def test_bottle_round_trip(store: Store) -> None:
    """A thrown bottle reads back drifting: no holder, no answer."""
    made = bottle(uid())
    await store.create_bottle(made)
    assert await store.get_bottle(made.id) == made
    assert await store.get_bottle(new_id()) is None


async def test_take_bottle_rules(store: Store) -> None:
    """Not by its owner, not after expiry, not twice by one fisher, not while held."""
    owner, ada, bob = uid(), uid(), uid()
    made = bottle(owner, expires_at=100.0)
    await store.create_bottle(made)
    assert await store.take_bottle(made.id, owner, now=1.0, hold_until=50.0) is None
    assert await store.take_bottle(made.id, ada, now=200.0, hold_until=250.0) is None

    taken = await store.take_bottle(made.id, ada, now=1.0, hold_until=50.0)
    assert taken is not None and taken.holder == ada and taken.held_until == 50.0
    assert await store.has_picked(made.id, ada)
    assert await store.take_bottle(made.id, bob, now=2.0, hold_until=60.0) is None

    assert await store.release_bottle(made.id, ada) is True
    assert await store.take_bottle(made.id, ada, now=3.0, hold_until=60.0) is None
    again = await store.take_bottle(made.id, bob, now=3.0, hold_until=60.0)
    assert again is not None and again.holder == bob


async def test_held_bottle_drifts_again_after_the_hold(store: Store) -> None:
    """Once its hold has run out, someone else may take a bottle."""
    owner, ada, bob = uid(), uid(), uid()
    made = bottle(owner)
    await store.create_bottle(made)
    assert await store.take_bottle(made.id, ada, now=1.0, hold_until=10.0) is not None
    assert await store.take_bottle(made.id, bob, now=9.0, hold_until=20.0) is None
    assert await store.take_bottle(made.id, bob, now=10.0, hold_until=20.0) is not None
    assert await store.release_bottle(made.id, ada) is False


async def test_answer_bottle_takes_it_out_of_the_sea(store: Store) -> None:
    """Only the holder answers, once; an answered bottle cannot be taken nor released."""
    owner, ada, bob = uid(), uid(), uid()
    made = bottle(owner)
    await store.create_bottle(made)
    await store.take_bottle(made.id, ada, now=1.0, hold_until=10.0)
    assert await store.answer_bottle(made.id, bob, now=2.0) is False
    assert await store.answer_bottle(made.id, ada, now=2.0) is True
    assert await store.answer_bottle(made.id, ada, now=2.0) is False
    assert await store.release_bottle(made.id, ada) is False
    assert await store.take_bottle(made.id, bob, now=20.0, hold_until=30.0) is None
    found = await store.get_bottle(made.id)
    assert found is not None and found.replied_by == ada


async def test_picked_bottles_since(store: Store) -> None:
    """picked_bottles lists what the user fished since a time, oldest first."""
    ada = uid()
    early, late, other = bottle(uid()), bottle(uid()), bottle(uid())
    for made in (early, late, other):
        await store.create_bottle(made)
    await store.take_bottle(early.id, ada, now=1.0, hold_until=2.0)
    await store.take_bottle(late.id, ada, now=5.0, hold_until=6.0)
    await store.take_bottle(other.id, uid(), now=5.0, hold_until=6.0)
    assert await store.picked_bottles(ada, since=0.0) == [early.id, late.id]
    assert await store.picked_bottles(ada, since=3.0) == [late.id]


async def test_racing_fishers_one_wins(open_store: OpenStore) -> None:
    """Many fishers on two stores take one bottle at once: exactly one gets it."""
    one, two = await open_store(), await open_store()
    made = bottle(uid())
    await one.create_bottle(made)
    fishers = [uid() for _ in range(12)]
    stores = (one, two)
    taken = await asyncio.gather(
        *(
            stores[i % 2].take_bottle(made.id, fisher, now=1.0, hold_until=10.0)
            for i, fisher in enumerate(fishers)
        )
    )
    winners = [t.holder for t in taken if t is not None]
    assert len(winners) == 1
    found = await one.get_bottle(made.id)
    assert found is not None and found.holder == winners[0]
