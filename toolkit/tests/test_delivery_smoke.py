"""The smoke test against a real HTTP server on 127.0.0.1 whose answers change over time,
as a service does while ECS replaces its tasks."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from epa_toolkit.delivery import smoke as tool

OLD = "1111111111111111111111111111111111111111"
NEW = "2222222222222222222222222222222222222222"


class FakeService:
    """Serves /version from a script of answers (the last one repeats), /healthz and /readyz."""

    def __init__(self, versions: list[tuple[int, object]], readyz: int = 200) -> None:
        self.versions = list(versions)
        self.readyz = readyz
        self.requests: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                service.requests.append(self.path)
                if self.path == "/version":
                    status, body = (
                        service.versions.pop(0) if len(service.versions) > 1 else service.versions[0]
                    )
                elif self.path == "/healthz":
                    status, body = 200, {"status": "ok"}
                elif self.path == "/readyz":
                    status = service.readyz
                    body = (
                        {"status": "ready"}
                        if status == 200
                        else {"status": "unavailable", "reason": "database not reachable"}
                    )
                else:
                    status, body = 404, {"detail": "Not Found"}
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep pytest's output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        # A short poll interval: shutdown() waits for it (the default, 0.5 s, slows every test).
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def version(commit: str) -> tuple[int, dict]:
    return 200, {"version": "0.1.0", "commit": commit, "environment": "dev"}


def test_waits_for_the_new_commit_then_checks_health(capsys):
    answers = [
        (502, "<html>502 Bad Gateway</html>"),
        version(OLD),
        version(NEW),
        version(OLD),
        version(NEW),
    ]
    with FakeService(answers) as service:
        code = tool.main(["--url", service.url, "--commit", NEW, "--timeout", "10", "--interval", "0.01"])

    assert code == tool.OK
    # 4 answers before the last one, which then has to come 3 times in a row.
    assert service.requests == ["/version"] * 7 + ["/healthz", "/readyz"]
    out = capsys.readouterr().out
    assert f"commit {OLD}" in out and "HTTP 502" in out
    assert "passed" in out


def test_a_short_commit_prefix_is_enough():
    with FakeService([version(NEW)]) as service:
        assert tool.smoke(service.url, NEW[:7], timeout=5, interval=0.01) == tool.OK


def test_times_out_naming_the_commit_still_served(capsys):
    with FakeService([version(OLD)]) as service:
        code = tool.smoke(service.url, NEW, timeout=0.3, interval=0.05)

    assert code == tool.FAILED
    out = capsys.readouterr().out
    assert f"did not serve {NEW}" in out
    assert f"commit {OLD} is still serving" in out
    assert "/healthz" not in service.requests


def test_connection_refused_is_retried_until_the_timeout(capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    code = tool.smoke(f"http://127.0.0.1:{port}", NEW, timeout=0.3, interval=0.05)

    assert code == tool.FAILED
    captured = capsys.readouterr()
    assert "no answer (" in captured.out and "refused" in captured.out.lower()
    assert "urlopen error" not in captured.out  # the reason, not urllib's wrapper
    assert "Traceback" not in captured.out + captured.err


def test_not_ready_fails_with_the_last_answer(capsys):
    with FakeService([version(NEW)], readyz=503) as service:
        code = tool.smoke(service.url, NEW, timeout=0.5, interval=0.05)

    assert code == tool.FAILED
    out = capsys.readouterr().out
    assert "/readyz did not answer 200" in out
    assert "HTTP 503" in out and "database not reachable" in out


def test_non_json_version_is_not_a_match():
    with FakeService([(200, "<html>maintenance</html>")]) as service:
        assert tool.smoke(service.url, NEW, timeout=0.2, interval=0.05) == tool.FAILED


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "ftp://example.com", "--commit", NEW],
        ["--url", "example.com", "--commit", NEW],
        ["--url", "https://example.com", "--commit", "abc"],
        ["--url", "https://example.com", "--commit", NEW, "--timeout", "0"],
    ],
)
def test_bad_arguments_exit_2(argv):
    with pytest.raises(SystemExit) as stopped:
        tool.parse(argv)
    assert stopped.value.code == 2
