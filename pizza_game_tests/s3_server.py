"""S3 for tests: moto in server mode on loopback (real HTTP, real boto3), a fault-injecting proxy.

The proxy stands in front of moto and answers chosen requests with the 500 InternalError and
503 SlowDown replies S3 gives under load, so tests can prove that retries lose nothing.
"""

from __future__ import annotations

import http.client
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.server import ThreadedMotoServer

from pizza_game.resources.s3_client import S3ClientResource

REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}
REAL_ACCOUNT_VARIABLES = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION")

HOP_BY_HOP = {"connection", "keep-alive", "expect", "transfer-encoding", "te", "upgrade"}
FAULTS = {
    500: b"<Error><Code>InternalError</Code><Message>We encountered an internal error. "
    b"Please try again.</Message></Error>",
    503: b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
}


def s3_client(endpoint_url: str, max_attempts: int = 5) -> Any:
    """A client built the way the code location builds it: standard retry mode.

    ``max_attempts`` is botocore's ``retries["max_attempts"]``, which counts retries after the
    first try: 0 means a single attempt.
    """
    return S3ClientResource(
        endpoint_url=endpoint_url, region_name=REGION, max_attempts=max_attempts
    ).get_client()


@dataclass
class MotoS3:
    """A running moto server; ``new_bucket()`` gives each test its own empty bucket."""

    endpoint_url: str
    server: ThreadedMotoServer

    def client(self, max_attempts: int = 5) -> Any:
        return s3_client(self.endpoint_url, max_attempts)

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name


def start_moto() -> MotoS3:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return MotoS3(endpoint_url=f"http://{host}:{port}", server=server)


PROXY_HOST = "127.0.0.1"


class FaultProxy:
    """Forwards HTTP to ``upstream``, but answers with a fault when ``should_fail`` says so.

    ``should_fail(method, path, seen)`` gets how many times this method and path were seen before
    (0 on the first request) and returns the status to inject (500 or 503) or None to forward.
    ``faults`` counts the injected faults by (method, path).
    """

    def __init__(self, upstream: str, should_fail: Callable[[str, str, int], int | None]):
        self.upstream = upstream.removeprefix("http://")
        self.should_fail = should_fail
        self.seen: Counter[tuple[str, str]] = Counter()
        self.faults: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((PROXY_HOST, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://{PROXY_HOST}:{self._server.server_port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _decide(self, method: str, path: str) -> int | None:
        with self._lock:
            seen = self.seen[(method, path)]
            self.seen[(method, path)] += 1
            status = self.should_fail(method, path, seen)
            if status is not None:
                self.faults[(method, path)] += 1
            return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = proxy._decide(self.command, self.path)
                if status is not None:
                    payload = b"" if self.command == "HEAD" else FAULTS[status]
                    self.send_response(status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(FAULTS[status])))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    reply = upstream.getresponse()
                    payload = reply.read()
                finally:
                    upstream.close()
                self.send_response(reply.status)
                for name, value in reply.getheaders():
                    # HEAD keeps the object's length; other replies were read whole, so re-measure.
                    keep_length = self.command == "HEAD" and name.lower() == "content-length"
                    if keep_length or name.lower() not in HOP_BY_HOP | {"content-length"}:
                        self.send_header(name, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

        return Handler
