"""Structured logs: one JSON object per line on stdout.

CloudWatch Logs Insights can filter and aggregate JSON fields (status, duration_ms,
request_id) directly, which plain text logs would need parsing for.
"""

import logging
import sys

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            # Uvicorn adds a copy of each message with terminal colour codes: noise in a log.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Uvicorn's own loggers go through the same JSON handler; its access log is
    # replaced by the request log in main.py, which adds duration and request id.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
