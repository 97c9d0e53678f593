"""Structured logs: one JSON object per line on stdout.

CloudWatch Logs Insights can filter and aggregate JSON fields (status, duration_ms,
request_id) directly, which plain text logs would need parsing for.
"""

import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable

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


class Throttle:
    """Lets the first of a kind of event through, then at most one every `interval` seconds.

    During an outage every request fails the same way: one line every few seconds, with
    how many were left out, says as much as thousands of identical tracebacks.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}
        self._left_out: Counter[str] = Counter()

    def allow(self, key: str) -> int | None:
        """None to stay quiet; otherwise how many `key` events were left out since the last."""
        with self._lock:
            now = self.clock()
            if key in self._last and now - self._last[key] < self.interval:
                self._left_out[key] += 1
                return None
            self._last[key] = now
            return self._left_out.pop(key, 0)
