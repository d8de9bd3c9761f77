"""The HTTP API (starlette): auth, users, friends, groups, conversations."""
