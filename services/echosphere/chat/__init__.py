"""Chat logic shared by the HTTP API and the websocket node, written against the ports."""
