"""A fake OpenAI-compatible chat-completions server on loopback, for the
assisted grouping's tests: it serves the answers a test queues, in order, and
records every request it receives. No network beyond 127.0.0.1.

    server.reply(partition([[1, 2], [3]]), status(429, retry_after=0))
    ... code under test ...
    server.requests[0].body["messages"]

An answer may also be a function of the request (`Request -> Answer`), for
tests whose requests are not known in advance (a long question's parts).
"""

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow model)


@dataclass
class Request:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict

    @property
    def notes(self) -> list[dict]:
        """The notes sent in the user message, one JSON object a line."""
        user = self.body["messages"][1]["content"]
        return [json.loads(line) for line in user.splitlines() if line.startswith('{"id"')]


def completion(content: str) -> Answer:
    """A 200 with the model's text, as chat/completions returns it."""
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }
    return Answer(body=json.dumps(body))


def partition(groups: list[list[int]], labels: list[str | None] | None = None) -> Answer:
    labels = labels or [None] * len(groups)
    payload = {"groups": [{"ids": g, "label": lab} for g, lab in zip(groups, labels, strict=True)]}
    return completion(json.dumps(payload, ensure_ascii=False))


def status(code: int, message: str = "", *, retry_after: float | None = None) -> Answer:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    body = json.dumps({"error": {"message": message or f"HTTP {code}", "code": code}})
    return Answer(status=code, body=body, headers=headers)


def slow(seconds: float) -> Answer:
    """An answer that comes after `seconds` (a client with a shorter timeout sees none)."""
    return Answer(delay=seconds, body="{}")


Reply = Answer | Callable[[Request], Answer]


class FakeLlm:
    """Start with `start()`, stop with `stop()`; `url` is the base URL (…/v1)."""

    def __init__(self):
        self.answers: deque[Reply] = deque()
        self.requests: list[Request] = []
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # A short poll: stop() waits for it, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def reply(self, *answers: Reply) -> None:
        self.answers.extend(answers)

    def start(self) -> "FakeLlm":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes the slow answers up
        self._server.shutdown()
        self._server.server_close()

    def _next(self, request: Request) -> Answer:
        self.requests.append(request)
        if not self.answers:
            # Not retried by the client (4xx): the test fails on it at once.
            return status(418, "the test queued no answer for this request")
        answer = self.answers.popleft()
        return answer(request) if callable(answer) else answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(self.path, headers, json.loads(raw or b"{}"))
                answer = fake._next(request)
                if answer.delay and fake._stopping.wait(answer.delay):
                    return
                payload = answer.body.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up waiting (a timeout test)
                    pass

            def log_message(self, format, *args):  # quiet test output
                pass

        return Handler
