"""A small OpenAI-compatible completions server for tests, backed by in-process generators.

It speaks the part of vLLM's ``POST /v1/completions`` that
:class:`~redqueen.learn.llm.remote.OpenAICompatibleGenerator` uses -- ``prompt`` as token
ids (one list, or a list of lists), ``max_tokens``, ``temperature``, ``seed``,
``stop_token_ids``, ``logprobs`` and ``return_tokens_as_token_ids`` -- and ``GET
/v1/models``. Each served model name maps to a generator (e.g. a
:class:`~redqueen.learn.llm.generators.TransformersGenerator` over a tiny model); a
request's prompt is sampled with the request's seed as the row's own seed, so a reply
is what that generator gives in-process for the same per-row seed. The reply has vLLM's
shape: ``choices[0].logprobs`` with ``tokens`` (``"token_id:N"`` when asked, else the
token's text), ``token_logprobs`` and ``top_logprobs``, and ``finish_reason``.

For the failure tests: :meth:`CompletionsServer.inject` answers the next requests with an
HTTP status; ``reply_style`` ``"text"`` answers tokens as text even when ids were asked
for (a server without ``return_tokens_as_token_ids``), ``"no_logprobs"`` leaves logprobs
out; ``api_key`` makes the server refuse requests without that bearer key (401);
``delay`` holds each request that long (seconds, or a function of the request) before it
is answered, so that concurrent requests overlap and finish out of order. Generation
itself is serialised by a lock (one model, one forward at a time);
:attr:`CompletionsServer.peak_in_flight` counts the requests open at once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLY_STYLES = ("ids", "text", "no_logprobs")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


class CompletionsServer:
    """Serves ``generators`` (served model name -> generator) on 127.0.0.1 in a thread."""

    def __init__(
        self,
        generators: Mapping[str, Any],
        *,
        reply_style: str = "ids",
        api_key: str | None = None,
        delay: float | Callable[[dict[str, Any]], float] = 0.0,
    ) -> None:
        if reply_style not in REPLY_STYLES:
            raise ValueError(f"reply_style {reply_style!r}; allowed: {', '.join(REPLY_STYLES)}")
        self.generators = dict(generators)
        self.reply_style = reply_style
        self.api_key = api_key
        self.delay = delay
        self.received: list[dict[str, Any]] = []
        """The JSON body of every completions request, failed ones included, in order."""
        self.answered: list[dict[str, Any]] = []
        """The requests answered with a completion, in the order their answers left."""
        self.in_flight = 0
        self.peak_in_flight = 0
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._generate_lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", 0), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> CompletionsServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._httpd.server_close()

    def inject(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` completions requests with HTTP ``status``."""
        with self._lock:
            self._failures.extend([status] * count)

    def complete(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """``(status, body)`` of the answer to a completions request."""
        name = request.get("model")
        if name not in self.generators:
            return 404, _error(f"The model `{name}` does not exist.", "NotFoundError", 404)
        generator = self.generators[name]
        prompt = request.get("prompt")
        prompts = prompt if prompt and isinstance(prompt[0], list) else [prompt]
        if not all(
            isinstance(p, list) and p and all(isinstance(t, int) for t in p) for p in prompts
        ):
            return 400, _error("prompt must be token ids here", "BadRequestError", 400)
        seed = request.get("seed")
        choices = []
        for index, ids in enumerate(prompts):
            with self._generate_lock:
                (out,) = generator.generate(
                    [ids],
                    max_new_tokens=int(request.get("max_tokens", 16)),
                    temperature=float(request.get("temperature", 1.0)),
                    seed=[0 if seed is None else int(seed)],
                    stop_ids=list(request.get("stop_token_ids") or []),
                )
            tokenizer = generator.tokenizer
            as_ids = bool(request.get("return_tokens_as_token_ids")) and self.reply_style == "ids"
            tokens = [
                f"token_id:{t}" if as_ids else tokenizer.convert_ids_to_tokens(t)
                for t in out.completion_ids
            ]
            logprobs = None
            if request.get("logprobs") is not None and self.reply_style != "no_logprobs":
                logprobs = {
                    "text_offset": list(range(len(tokens))),
                    "token_logprobs": out.logprobs,
                    "tokens": tokens,
                    "top_logprobs": [{t: v} for t, v in zip(tokens, out.logprobs, strict=True)],
                }
            last = out.completion_ids[-1]
            choices.append(
                {
                    "index": index,
                    "text": tokenizer.decode(out.completion_ids),
                    "logprobs": logprobs,
                    "finish_reason": out.finish_reason,
                    "stop_reason": last if out.finish_reason == "stop" else None,
                }
            )
        used = sum(len(c["logprobs"]["tokens"]) if c["logprobs"] else 0 for c in choices)
        return 200, {
            "id": f"cmpl-test-{len(self.received)}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": name,
            "choices": choices,
            "usage": {"prompt_tokens": sum(len(p) for p in prompts), "completion_tokens": used},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                key = server.api_key
                return key is None or self.headers.get("Authorization") == f"Bearer {key}"

            def do_GET(self) -> None:
                if self.path.rstrip("/") != "/v1/models":
                    self._send(404, _error(f"no route {self.path}", "NotFoundError", 404))
                elif not self._authorised():
                    self._send(401, _error("Unauthorized", "AuthenticationError", 401))
                else:
                    data = [{"id": n, "object": "model"} for n in server.generators]
                    self._send(200, {"object": "list", "data": data})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") != "/v1/completions":
                    self._send(404, _error(f"no route {self.path}", "NotFoundError", 404))
                    return
                with server._lock:
                    server.received.append(request)
                    failure = server._failures.pop(0) if server._failures else None
                    server.in_flight += 1
                    server.peak_in_flight = max(server.peak_in_flight, server.in_flight)
                try:
                    if failure is not None:
                        answer = failure, _error(f"injected HTTP {failure}", "Injected", failure)
                    elif not self._authorised():
                        answer = 401, _error("Unauthorized", "AuthenticationError", 401)
                    else:
                        delay = server.delay
                        time.sleep(delay(request) if callable(delay) else delay)
                        answer = server.complete(request)
                        with server._lock:
                            server.answered.append(request)
                except Exception as err:  # a bug here shows in the client's error, not a hang
                    answer = 500, _error(repr(err), "InternalServerError", 500)
                finally:
                    with server._lock:  # before the answer leaves: the client may send again
                        server.in_flight -= 1
                self._send(*answer)

        return Handler


def _error(message: str, kind: str, code: int) -> dict[str, Any]:
    """vLLM's error body."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
