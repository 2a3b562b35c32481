"""A small AWS Lambda Runtime API (version 2018-06-01) on loopback, for driving ``awslambdaric``.

It hands out the queued events one per ``GET /runtime/invocation/next`` (the way Lambda does,
with the request id, deadline and function ARN in headers) and records what the runtime client
posts back: ``/invocation/{id}/response``, ``/invocation/{id}/error`` and ``/init/error``. Once
the queue is empty, ``next`` blocks, as it does in Lambda between invocations, until ``close``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:pizza-game-pipeline"
DEADLINE_SECONDS = 900
TRACE_ID = "Root=1-6740a2c0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0"


@dataclass(frozen=True)
class Answer:
    """What the runtime posted for one request: ``kind`` is "response", "error" or "init/error"."""

    request_id: str | None
    kind: str
    body: bytes
    error_type: str | None

    def json(self) -> Any:
        return json.loads(self.body)


class FakeRuntimeApi:
    """The Runtime API endpoints awslambdaric calls; ``address`` is AWS_LAMBDA_RUNTIME_API."""

    def __init__(self, events: list[tuple[str, object]]):
        self._events: queue.Queue[tuple[str, object]] = queue.Queue()
        for request_id, event in events:
            self._events.put((request_id, event))
        self.answers: list[Answer] = []
        self._answered = threading.Condition()
        self._closed = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str), host  # an IPv4 server: ("127.0.0.1", port)
        return f"{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for_answers(self, count: int, timeout: float) -> list[Answer]:
        """The first ``count`` answers, or as many as arrived within ``timeout`` seconds."""
        with self._answered:
            self._answered.wait_for(lambda: len(self.answers) >= count, timeout)
            return list(self.answers)

    def _next_event(self) -> tuple[str, object] | None:
        while not self._closed.is_set():
            try:
                return self._events.get(timeout=0.2)
            except queue.Empty:
                continue
        return None

    def _record(self, answer: Answer) -> None:
        with self._answered:
            self.answers.append(answer)
            self._answered.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _reply(
                self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(404)
                    return
                queued = api._next_event()
                if queued is None:
                    self._reply(500, b'{"errorType": "ServiceShutdown"}')
                    return
                request_id, event = queued
                deadline_ms = int((time.time() + DEADLINE_SECONDS) * 1000)
                self._reply(
                    200,
                    json.dumps(event).encode(),
                    {
                        "Content-Type": "application/json",
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                        "Lambda-Runtime-Trace-Id": TRACE_ID,
                    },
                )

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                path = self.path.removeprefix(f"{PREFIX}/")
                if path == "init/error":
                    api._record(Answer(None, "init/error", body, error_type))
                    self._reply(202, b'{"status": "OK"}')
                    return
                parts = path.split("/")
                if (
                    len(parts) == 3
                    and parts[0] == "invocation"
                    and parts[2] in ("response", "error")
                ):
                    api._record(Answer(parts[1], parts[2], body, error_type))
                    self._reply(202, b'{"status": "OK"}')
                    return
                self._reply(404)

        return Handler
