"""``python -m echosphere_operator``: the operator's container entry point."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys

from echosphere_operator.app import run
from echosphere_operator.settings import ConfigError, load_config


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def main() -> None:
    try:
        config = load_config(os.environ)
    except ConfigError as error:
        print(f"echosphere-operator: configuration error: {error}", file=sys.stderr)
        sys.exit(2)
    handler = logging.StreamHandler()
    if config.log_format == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=config.log_level, handlers=[handler], force=True)
    # aiohttp logs every request of the API watch at INFO; keep the operator's own voice.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    asyncio.run(run(config))


if __name__ == "__main__":
    main()
