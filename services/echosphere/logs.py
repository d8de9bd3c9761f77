"""Log output: readable lines for ``echosphere dev``, JSON lines in a cluster.

Ids passed in ``extra`` (user, device, conv, node...) appear in both forms,
and so do the correlation ids of what is being handled: ``request_id`` for
an HTTP request, ``connection_id`` for a websocket, ``trace_id`` when
tracing is on (see ``echosphere.chat.tracing``). Message bodies, tokens,
login codes and phone numbers are never passed to the logger by our code.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from echosphere.chat import tracing

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_STANDARD |= {"color_message"}  # uvicorn's coloured duplicate of the message


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class CorrelationFilter(logging.Filter):
    """Stamps each record with the correlation ids of the request or connection at hand."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = tracing.request_id.get()
        if request is not None:
            record.request_id = request
        connection = tracing.connection_id.get()
        if connection is not None:
            record.connection_id = connection
        trace_id = tracing.current_trace_id()
        if trace_id is not None:
            record.trace_id = trace_id
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {record.levelname:<7} {record.name}: {record.getMessage()}"
        extras = _extras(record)
        if extras:
            line += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(fmt: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(CorrelationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log would print request URLs; ours logs what matters.
    logging.getLogger("uvicorn.access").disabled = True
