"""A scripted TEST server that speaks the OpenAI chat-completions protocol. Not a model.

It exists so that tests, CI and demos exercise the real HTTP path of the LLM players
end to end -- the ``openai`` client, retries, concurrency, the cache, transcripts --
without a language model. It reads the legal moves listed in the last user message (the
block :func:`redqueen.agents.llm.prompts.legal_moves_block` writes) and answers with one
chosen by a scripted strategy, in the answer format the request asks for (structured
outputs -> JSON; ``\\boxed{}`` or ``<answer>`` tags as the system prompt says). In a
text-only game's decision message, which lists no moves, its choices are the moves the
game last offered in square brackets (TextArena's ``Available Moves: '[0]', '[1]'``, the
form its games parse; see :func:`redqueen.agents.llm.prompts.text_moves_in`). Where that
message offers none, they are the bracketed moves the rest of the conversation shows, the
most recent first: the examples and templates of the move format in the rules and the
game's first message (``[word]``, ``[move (2,2) {(2,3): [F0]}]``). A template is played
as it is written; the game judges it, as it would a model's move:

- ``first`` / ``last``: the first / last legal move;
- ``random``: a uniformly random legal move;
- ``copy``: the move the other player made last, read from the history lines of the
  repeated games' observation (``round k: you X, they Y -> ...``); the first legal move
  when there is none yet -- tit for tat in the prisoner's dilemma.

With ``judge="harm_language"`` (or another rule judge's kind, see
:mod:`redqueen.games.roles.judges`) the server also answers the questions of an LLM judge
(:mod:`redqueen.agents.llm.judge`): it reads the passages and questions back from the
request and replies with the labels that rule judge gives them, so a test can predict
every verdict. Without it, judge requests get the "no legal moves were listed" reply, as
does a text-only game whose conversation shows no bracketed move (the game judges that
reply; TextArena's ``Bandit-v0``, whose prompt never says how to write a button, is one).

With ``malformed_rate`` r, a reply is malformed with probability r (no answer in the
format, or a move that is not legal; for a judge request, no labels). Every random choice
is a function of the server seed, the request's ``seed`` and its messages, so answers do
not depend on the order in which concurrent requests arrive. ``delay`` seconds pass before
each answer (requests are served concurrently, one thread each), which is how the
concurrency benchmark measures overlap. Failures can be injected
(:meth:`ScriptedServer.inject`: the next requests answer 429 or 5xx), an API key can be
required (401 otherwise) and the model names can be restricted (404 otherwise).

Endpoints: ``POST /v1/chat/completions``, ``GET /v1/models``. Standard library only
(``http.server`` in a background thread). Start it from the command line with
``redqueen serve-scripted --port P --strategy NAME``, or in-process::

    with ScriptedServer("copy") as server:   # port 0: any free port
        agent = LLMAgent(model="scripted", base_url=server.url, api_key_env=None)
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from redqueen.agents.llm.judge import judge_request_in, verdict_reply
from redqueen.agents.llm.prompts import bracketed_moves, legal_moves_in, text_moves_in
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.roles.judges import Judge, make_judge

Strategy = Callable[[list[str], list[dict[str, Any]], np.random.Generator], str]


def _first(moves: list[str], messages: list[dict[str, Any]], rng: np.random.Generator) -> str:
    return moves[0]


def _last(moves: list[str], messages: list[dict[str, Any]], rng: np.random.Generator) -> str:
    return moves[-1]


def _random(moves: list[str], messages: list[dict[str, Any]], rng: np.random.Generator) -> str:
    return moves[int(rng.integers(len(moves)))]


def _copy(moves: list[str], messages: list[dict[str, Any]], rng: np.random.Generator) -> str:
    users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
    text = users[0] if users else ""
    by_length = sorted(moves, key=len, reverse=True)
    for line in reversed(text.lower().splitlines()):
        if not line.strip().startswith("round "):
            continue
        for part in reversed(line.split("they ")[1:]):
            for move in by_length:
                if part.startswith(move.lower()):
                    return move
    return moves[0]


STRATEGIES: dict[str, Strategy] = {
    "first": _first,
    "last": _last,
    "random": _random,
    "copy": _copy,
}
"""The test server's scripted strategies by name."""


def _answer_format(request: dict[str, Any]) -> str:
    if request.get("response_format"):
        return "json"
    system = " ".join(
        str(m.get("content", "")) for m in request.get("messages", []) if m.get("role") == "system"
    )
    if "\\boxed{" in system:
        return "boxed"
    if "<answer>" in system:
        return "tags"
    return "plain"


def _write(move: str, answer_format: str, strategy: str) -> str:
    if answer_format == "json":
        return json.dumps({"move": move})
    note = f"Scripted test server (strategy {strategy}) plays {move}."
    if answer_format == "boxed":
        return f"{note}\n\\boxed{{{move}}}"
    if answer_format == "tags":
        return f"{note}\n<answer>{move}</answer>"
    return move


def _text_moves_offered(messages: Sequence[dict[str, Any]]) -> list[str]:
    """In a text-only game's conversation (one with a decision message for text moves):
    the bracketed moves of the latest system or user message that offers any (of a
    decision message, its observation). Empty in any other conversation."""
    texts = [str(m.get("content", "")) for m in messages if m.get("role") in ("system", "user")]
    decisions = [text_moves_in(text) for text in texts]
    if all(offered is None for offered in decisions):
        return []
    for text, offered in zip(reversed(texts), reversed(decisions), strict=True):
        found = bracketed_moves(text) if offered is None else offered
        if found:
            return found
    return []


class _HTTPServer(ThreadingHTTPServer):
    request_queue_size = 1024  # many concurrent clients: a short backlog drops connections
    daemon_threads = True


class ScriptedServer:
    """The scripted test server, run in a background thread (see the module docstring)."""

    def __init__(
        self,
        strategy: str = "first",
        *,
        malformed_rate: float = 0.0,
        delay: float = 0.0,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] | None = None,
        api_key: str | None = None,
        judge: str | None = None,
    ) -> None:
        if strategy not in STRATEGIES:
            raise UnknownNameError("test-server strategy", strategy, STRATEGIES)
        if judge == "llm":
            raise InvalidParameterError(
                "the test server answers judge requests with a rule judge (e.g. "
                "harm_language); 'llm' would ask a model"
            )
        self.judge: Judge | None = None if judge is None else make_judge(judge)
        if not 0.0 <= malformed_rate <= 1.0:
            raise InvalidParameterError(f"malformed_rate must be in [0, 1], got {malformed_rate}")
        if delay < 0:
            raise InvalidParameterError(f"delay must be >= 0 seconds, got {delay}")
        if not 0 <= port <= 65535:
            raise InvalidParameterError(f"port must be in 0..65535 (0: any free port), got {port}")
        self.strategy = strategy
        self.malformed_rate = float(malformed_rate)
        self.delay = float(delay)
        self.seed = int(seed)
        self.models = list(models) if models is not None else None
        self._api_key = api_key
        self.requests = 0
        """Chat-completion requests received (failed ones included)."""
        self.answered = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        """The most chat requests ever being answered at once."""
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._httpd = _HTTPServer((host, port), self._handler())
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give an OpenAI client (ends with ``/v1``)."""
        host = self._httpd.server_address[0]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host}:{self.port}/v1"

    def start(self) -> str:
        """Serve in a background thread; return :attr:`url`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
            self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self._httpd.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` chat requests with HTTP ``status`` (e.g. 429, 500)."""
        with self._lock:
            self._failures.extend([int(status)] * count)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    # ---- answering ------------------------------------------------------------------

    def reply_for(self, request: dict[str, Any]) -> str:
        """The reply text for a chat request (what the HTTP endpoint sends back)."""
        messages = [m for m in request.get("messages", []) if isinstance(m, dict)]
        digest = hashlib.sha256(
            json.dumps(
                [self.seed, request.get("seed"), messages], sort_keys=True, default=str
            ).encode()
        ).digest()
        rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
        users = [str(m.get("content", "")) for m in messages if m.get("role") == "user"]
        asked = judge_request_in(users[-1]) if users and self.judge is not None else None
        if asked is not None and self.judge is not None:
            if self.malformed_rate > 0 and rng.random() < self.malformed_rate:
                return "Scripted test server: a malformed judge reply with no labels in it."
            verdict = self.judge.judge(asked)
            if not verdict.valid:
                return f"Scripted test server: the rule judge gave no verdict ({verdict.problem})."
            return verdict_reply(verdict, asked)
        moves = legal_moves_in(users[-1]) if users else []
        if not moves:
            moves = _text_moves_offered(messages)
        answer_format = _answer_format(request)
        if not moves:
            return "Scripted test server: no legal moves were listed in the last message."
        if self.malformed_rate > 0 and rng.random() < self.malformed_rate:
            if rng.random() < 0.5:
                return "Scripted test server: a malformed reply with no move in it."
            return _write("no-such-move", answer_format, self.strategy)
        move = STRATEGIES[self.strategy](moves, messages, rng)
        return _write(move, answer_format, self.strategy)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet, and never logs a header

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, message: str, code: str) -> None:
                self._send(
                    status, {"error": {"message": message, "type": "test_server", "code": code}}
                )

            def _authorised(self) -> bool:
                if server._api_key is None:
                    return True
                if self.headers.get("Authorization", "") == f"Bearer {server._api_key}":
                    return True
                self._error(401, "Incorrect API key provided.", "invalid_api_key")
                return False

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/v1/models":
                    self._error(404, f"no route {self.path}", "not_found")
                    return
                if not self._authorised():
                    return
                names = server.models if server.models is not None else ["scripted"]
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": [
                            {"id": n, "object": "model", "owned_by": "redqueen-test-server"}
                            for n in names
                        ],
                    },
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._error(404, f"no route {self.path}", "not_found")
                    return
                with server._lock:
                    server.requests += 1
                    failure = server._failures.pop(0) if server._failures else None
                if failure is not None:
                    self._error(failure, f"injected failure (HTTP {failure})", "injected")
                    return
                if not self._authorised():
                    return
                try:
                    request = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    self._error(400, "the body is not JSON", "bad_request")
                    return
                model = str(request.get("model", ""))
                if server.models is not None and model not in server.models:
                    self._error(404, f"The model `{model}` does not exist.", "model_not_found")
                    return
                with server._lock:
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    if server.delay:
                        time.sleep(server.delay)
                    reply = server.reply_for(request)
                finally:
                    with server._lock:
                        server.in_flight -= 1
                prompt_tokens = sum(
                    len(str(m.get("content", "")).split()) for m in request.get("messages", [])
                )
                with server._lock:
                    server.answered += 1
                    n = server.answered
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-scripted-{n}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt_tokens,
                            "completion_tokens": len(reply.split()),
                            "total_tokens": prompt_tokens + len(reply.split()),
                        },
                    },
                )

        return Handler
