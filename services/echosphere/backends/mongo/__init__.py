"""The ``Store`` port on MongoDB (``mongodb://host:port/database``): cluster mode."""

from echosphere.backends.mongo.store import MongoStore

__all__ = ["MongoStore"]
