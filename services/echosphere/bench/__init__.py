"""The load generator, ``echosphere bench``: real websocket clients through the SDK.

It starts or finds a target (an embedded server, a small cluster, a bare
relay, or a given URL), creates users, friendships and groups over HTTP,
drives one scenario (``direct``, ``group``, ``idle``, ``sync``) and keeps a
ledger of every message sent, acknowledged and received. The ledger
(``accounting``) is pure, so loss, duplicates and disorder are counted the
same way in the tests that inject them. It measures; it asserts nothing.

Nothing of the server imports this package.
"""
