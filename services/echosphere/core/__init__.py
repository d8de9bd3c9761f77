"""The domain and the wire protocol: pure code, no I/O, importing nothing else of ours."""
