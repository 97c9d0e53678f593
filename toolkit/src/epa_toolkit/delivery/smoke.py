"""After `pulumi up`: wait until the environment serves the new commit, then check it is healthy.

    python -m epa_toolkit.delivery.smoke --url https://d1234.cloudfront.net --commit "$COMMIT_SHA"

URL is the stack output url. `pulumi up` returns before ECS has replaced the tasks (a rolling
deploy starts new tasks, waits for their health checks, then drains the old ones: minutes),
so this polls:

1. GET <url>/version until its "commit" is the expected one on 3 answers in a row. While
   old and new tasks both take traffic the answers alternate; in a row means the old
   tasks are out of the load balancer.
2. GET <url>/healthz (the process answers) and <url>/readyz (it reaches its database)
   until both answer 200.

Refused connections, timeouts and 5xx answers (no healthy target yet) are retried until
--timeout. The commit may be given in full or as a prefix of at least 7 characters.

Exit codes:
  0  the new commit is served and healthy
  1  not within --timeout; the message says what was seen last and which commit still serves
  2  usage error (arguments)
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

OK, FAILED = 0, 1
DEFAULT_TIMEOUT = 10 * 60
DEFAULT_INTERVAL = 10
IN_A_ROW = 3
REQUEST_TIMEOUT = 10  # seconds for one request: a hung connection must not eat the budget
HEARTBEAT = 60  # print "still waiting" at least this often, so the job does not look hung
BODY_SHOWN = 300  # characters of a body quoted in messages
# AWS WAF's common rule set blocks requests without a User-Agent: always send one.
HEADERS = {
    "User-Agent": "delivery-smoke-test",
    "Accept": "application/json",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, DNS, TLS, timeout)
    body: str = ""
    error: str = ""

    def describe(self) -> str:
        if self.status is None:
            return f"no answer ({self.error})"
        body = " ".join(self.body.split())
        if len(body) > BODY_SHOWN:
            body = body[:BODY_SHOWN] + "..."
        return f"HTTP {self.status} {body}".rstrip()


def get(url: str, timeout: float) -> Answer:
    # parse() accepts only http(s) URLs, so urlopen cannot be made to read local files.
    request = urllib.request.Request(url, headers=HEADERS)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            return Answer(response.status, response.read(64_000).decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:  # 4xx/5xx still carry a useful body
        with error:
            return Answer(error.code, error.read(64_000).decode("utf-8", "replace"))
    except urllib.error.URLError as error:
        return Answer(None, error=str(error.reason))
    except (OSError, ValueError, http.client.HTTPException) as error:  # reset, bad URL, timeout
        return Answer(None, error=f"{type(error).__name__}: {error}".rstrip(": "))


def served_commit(answer: Answer) -> str | None:
    """The commit /version reports, or None when the answer is not the app's JSON."""
    if answer.status != 200:
        return None
    try:
        data = json.loads(answer.body)
    except ValueError:
        return None
    commit = data.get("commit") if isinstance(data, dict) else None
    return commit if isinstance(commit, str) else None


def is_expected(served: str | None, expected: str) -> bool:
    if not served:
        return False
    served, expected = served.lower(), expected.lower()
    return served == expected or (len(expected) >= 7 and served.startswith(expected))


def say(message: str) -> None:
    print(f"smoke: {message}", flush=True)


class Poller:
    """Repeats a request until a condition holds or the shared deadline passes."""

    def __init__(self, timeout: float, interval: float, sleep, clock) -> None:
        self.interval = interval
        self.sleep = sleep
        self.clock = clock
        self.started = clock()
        self.deadline = self.started + timeout

    def elapsed(self) -> float:
        return self.clock() - self.started

    def request_timeout(self) -> float:
        return max(1.0, min(REQUEST_TIMEOUT, self.deadline - self.clock()))

    def expired(self) -> bool:
        return self.clock() >= self.deadline

    def pause(self) -> None:
        self.sleep(max(0.0, min(self.interval, self.deadline - self.clock())))


def wait_for_commit(base: str, commit: str, poller: Poller) -> bool:
    url = f"{base}/version"
    in_a_row = 0
    last_said = ""
    last_heartbeat = poller.elapsed()
    other_commit = None  # the last other commit seen: says what is still serving
    answer = Answer(None, error="no request made")
    while True:
        answer = get(url, poller.request_timeout())
        served = served_commit(answer)
        if is_expected(served, commit):
            in_a_row += 1
            if in_a_row >= IN_A_ROW:
                say(f"{url} serves {commit} ({poller.elapsed():.0f} s)")
                return True
        else:
            in_a_row = 0
            other_commit = served or other_commit
        now = poller.elapsed()
        seen = f"commit {served}" if served else answer.describe()
        if in_a_row:
            seen += f", {in_a_row} of {IN_A_ROW} in a row"
        if seen != last_said or now - last_heartbeat >= HEARTBEAT:
            say(f"{url}: {seen} ({now:.0f} s, waiting for {commit})")
            last_said, last_heartbeat = seen, now
        if poller.expired():
            break
        poller.pause()
    still = f"commit {other_commit} is still serving" if other_commit else "no commit was reported"
    say(
        f"FAILED: {url} did not serve {commit} within {poller.elapsed():.0f} s: {still}; "
        f"last answer: {answer.describe()}"
    )
    return False


def wait_for_ok(base: str, path: str, poller: Poller) -> bool:
    url = f"{base}{path}"
    while True:
        answer = get(url, poller.request_timeout())
        if answer.status == 200:
            say(f"{url}: {answer.describe()}")
            return True
        if poller.expired():
            say(f"FAILED: {url} did not answer 200 in time; last answer: {answer.describe()}")
            return False
        say(f"{url}: {answer.describe()}; retrying")
        poller.pause()


def smoke(
    url: str,
    commit: str,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    base = url.rstrip("/")
    poller = Poller(timeout, interval, sleep, clock)  # one budget for all the checks
    if not wait_for_commit(base, commit, poller):
        return FAILED
    for path in ("/healthz", "/readyz"):
        if not wait_for_ok(base, path, poller):
            return FAILED
    say(f"passed: {commit} is served and healthy")
    return OK


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m epa_toolkit.delivery.smoke",
        description="Wait until URL serves COMMIT on /version, then check /healthz and /readyz.",
        epilog="Exit codes: 0 passed, 1 not within --timeout, 2 usage.",
    )
    parser.add_argument("--url", required=True, help="the stack output url, e.g. https://...")
    parser.add_argument("--commit", required=True, help="the commit SHA that was deployed")
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds in all (default: 600)"
    )
    parser.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, help="seconds between tries")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        parser.error(f"--url must start with http:// or https://, got {args.url!r}")
    if len(args.commit) < 7:
        parser.error("--commit needs at least 7 characters of the SHA")
    if args.timeout <= 0 or args.interval <= 0:
        parser.error("--timeout and --interval must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    return smoke(args.url, args.commit, args.timeout, args.interval)


if __name__ == "__main__":
    sys.exit(main())
