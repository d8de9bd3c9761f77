"""Adapters behind the ports, one per technology."""
