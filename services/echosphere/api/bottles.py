"""Drifting bottles over HTTP: throw, fish, reply, throw back.

A fished bottle shows its text or media and roughly where it was thrown,
never who threw it; replying reveals both sides to each other, because it
opens a one-to-one conversation with the thrower (strangers included) and
sends the reply as a message in it. A reply is idempotent for its sender:
asking again re-sends the same message (same ``cid``), never a second one.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec

from echosphere.api.media import media_ref
from echosphere.api.routing import Call, Router
from echosphere.chat.bottles import Bottles
from echosphere.chat.messenger import Messenger, ack_frame
from echosphere.core.errors import Forbidden, InvalidInput
from echosphere.core.geo import distance_km
from echosphere.core.ids import direct_conv
from echosphere.core.models import MessageKind
from echosphere.core.protocol import Send
from echosphere.core.social import Bottle

router = Router("bottles")


class NewBottle(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    text: str | None = None
    media: str | None = None
    lat: float
    lon: float


class Fishing(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    lat: float
    lon: float
    radius_km: float = 10.0


class BottleReply(msgspec.Struct, forbid_unknown_fields=True):
    text: str


def _view(bottle: Bottle) -> dict[str, Any]:
    return {
        "id": bottle.id,
        "text": bottle.text,
        "media": media_ref(bottle.media) if bottle.media else None,
        "lat": bottle.lat,
        "lon": bottle.lon,
        "thrown_at": bottle.created_at,
        "expires_at": bottle.expires_at,
    }


@router.route(
    "POST",
    "/api/bottles",
    summary="Throw a bottle (text or a voice/image key) from a place, kept only to ~1 km",
    body=NewBottle,
    status=201,
    errors=(
        "bad_location",
        "bad_bottle",
        "too_long",
        "media_not_yours",
        "media_kind",
        "quota_exceeded",
    ),
)
async def throw(call: Call[NewBottle]) -> dict[str, Any]:
    body = call.body
    bottle, left = await Bottles(call.platform).throw(
        call.user, text=body.text, media=body.media, lat=body.lat, lon=body.lon
    )
    return {**_view(bottle), "throws_left": left}


@router.route(
    "POST",
    "/api/bottles/fish",
    summary="Fish a random bottle within radius_km that is not mine nor fished by me before",
    body=Fishing,
    errors=("bad_location", "bad_radius", "no_bottle", "quota_exceeded"),
)
async def fish(call: Call[Fishing]) -> dict[str, Any]:
    body = call.body
    bottle, left = await Bottles(call.platform).fish(
        call.user, lat=body.lat, lon=body.lon, radius_km=body.radius_km
    )
    away = distance_km(body.lat, body.lon, bottle.lat, bottle.lon)
    return {
        **_view(bottle),
        "distance_km": round(away, 1),
        "held_until": bottle.held_until,
        "fishes_left": left,
    }


@router.route(
    "POST",
    "/api/bottles/{bottle_id}/reply",
    summary="Reply to a bottle I hold: opens a chat with its thrower, my reply its message",
    body=BottleReply,
    status=201,
    errors=(
        "bottle_not_found",
        "bottle_answered",
        "bottle_expired",
        "not_holder",
        "blocked",
        "bad_body",
        "too_long",
    ),
)
async def reply(call: Call[BottleReply]) -> dict[str, Any]:
    platform, store = call.platform, call.platform.store
    bottles = Bottles(platform)
    bottle = await store.get_bottle(call.path("bottle_id"))
    answered_by_me = bottle is not None and bottle.replied_by == call.user
    if bottle is None or not answered_by_me:
        bottle = await bottles.held(call.user, call.path("bottle_id"))
    text = call.body.text.strip()
    if not text:
        raise InvalidInput("bad_body", "a reply needs text")
    if len(text) > platform.settings.limits.max_text_chars:
        raise InvalidInput("too_long", "this reply is too long for a message")
    if await store.is_blocked(bottle.owner, call.user):
        raise Forbidden("blocked", "this user does not accept your messages")

    if not answered_by_me:
        await bottles.answer(call.user, bottle)
    conv = direct_conv(call.user, bottle.owner)
    await store.join_conversation(conv, [call.user, bottle.owner])
    frame = Send(
        cid=f"bottle-{bottle.id}",
        conv=conv,
        kind=MessageKind.TEXT,
        body={"text": text, "bottle": bottle.id},
    )
    messenger = cast(Messenger, call.request.app.state.messenger)
    ack = ack_frame(await messenger.send(call.user, None, frame))
    del ack["op"]
    return ack


@router.route(
    "POST",
    "/api/bottles/{bottle_id}/throw-back",
    summary="Throw a bottle I hold back into the sea, for others to fish",
    status=204,
    errors=("bottle_not_found", "bottle_answered", "bottle_expired", "not_holder"),
)
async def throw_back(call: Call[None]) -> None:
    await Bottles(call.platform).throw_back(call.user, call.path("bottle_id"))
