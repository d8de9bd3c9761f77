"""Property-based fuzzing of incoming frames, against the decoder and a live node.

The node runs as a real ``echosphere dev`` process; one authenticated socket
receives every generated frame followed by a ping. Whatever the frame, the
node must answer only well-formed frames, the connection must stay usable
(the pong arrives) and the process must stay up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from echosphere.core.protocol import ProtocolError, decode_frame
from tests.support.server import dev_process

SERVER_OPS = {
    "hello",
    "ack",
    "msg",
    "receipt",
    "typing",
    "recalled",
    "error",
    "pong",
    "synced",
    "history",
}
OPS = ["auth", "send", "sync", "history", "read", "recv", "typing", "recall", "ping", "nope", ""]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    ["cid", "conv", "kind", "body", "cursors", "seq", "before", "limit", "token", "device", "x"]
)
frames = st.one_of(
    st.builds(
        lambda op, extra: {"op": op, **extra},
        st.sampled_from(OPS),
        st.dictionaries(field_names, values, max_size=5),
    ),
    values,
)
raw_frames = st.one_of(
    frames.map(lambda f: json.dumps(f, allow_nan=True)),
    st.text(max_size=200),
    st.binary(max_size=200),
)


@given(raw_frames)
@settings(max_examples=400, deadline=None)
def test_decoder_only_raises_protocol_errors(raw: str | bytes) -> None:
    """decode_frame either returns a frame or raises ProtocolError with a code."""
    try:
        decode_frame(raw)
    except ProtocolError as error:
        assert error.code in {"bad_json", "bad_frame", "unknown_op"}


@pytest.fixture(scope="module")
def live_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientConnection]:
    data = tmp_path_factory.mktemp("fuzz") / "data"
    env = {"ECHO_BAD_FRAMES": "1000000", "ECHO_RATE_SEND": "100000/100000"}
    with dev_process(data, env=env) as running:
        http = httpx.Client(base_url=running.url)
        code = http.post("/api/auth/code", json={"phone": "+14155550999"}).json()["dev_code"]
        token = http.post(
            "/api/auth/login", json={"phone": "+14155550999", "code": code, "device": "fuzz"}
        ).json()["access_token"]
        ws_url = running.url.replace("http", "ws") + "/ws"
        with connect(ws_url, max_size=2**22) as connection:
            connection.send(json.dumps({"op": "auth", "token": token}))
            assert json.loads(connection.recv(timeout=5))["op"] == "hello"
            yield connection
        assert running.process.poll() is None, "the node process died"


def _well_formed(frame: dict[str, Any]) -> None:
    assert frame.get("op") in SERVER_OPS, frame
    if frame["op"] == "error":
        assert isinstance(frame["code"], str) and frame["code"]
        assert isinstance(frame["message"], str)


@given(raw_frames)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_node_answers_every_frame_well(live_socket: ClientConnection, raw: str | bytes) -> None:
    """Every reply is a known server op, errors carry a code, and the socket survives."""
    live_socket.send(raw)
    live_socket.send(json.dumps({"op": "ping"}))
    for _ in range(1000):
        frame = json.loads(live_socket.recv(timeout=5))
        _well_formed(frame)
        if frame["op"] == "pong":
            return
    raise AssertionError("no pong after 1000 frames")
