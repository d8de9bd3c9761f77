"""The websocket chat node: sessions, local fan-out, presence and draining."""
