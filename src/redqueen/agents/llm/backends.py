"""Backends: where an LLM player's chat messages go and its replies come from.

:class:`OpenAIBackend` speaks the OpenAI chat-completions API through the official
``openai`` client, which covers OpenAI itself and the servers that copy its API (vLLM,
Ollama, llama.cpp's server, SGLang, ...) and redqueen's own scripted test server
(:mod:`redqueen.agents.llm.test_server`). The key is read from the environment variable
named by ``api_key_env`` when a request is made; it is held only by the client and is
scrubbed from every error message, so it never reaches logs, transcripts or reports.

Before its first request to a server in an event loop, :class:`OpenAIBackend` checks that
something answers there (one ``GET /models``, no retries; any HTTP answer will do): a
server that cannot be reached -- nothing listening at ``base_url``, a host that does not
answer -- raises :class:`BackendUnavailableError` at once, with the cause, and the run
stops before a match is played. A run answered wholly from the cache makes no request and
no check.

Requests that fail for a passing reason -- HTTP 429 (rate limit), 5xx, a timeout, a
dropped connection -- are retried with exponential backoff (``backoff * 2**k`` seconds,
capped at 30 s) up to ``max_retries`` times; then :class:`BackendError` is raised, and the
match runner records the match as failed so that the next run plays it again. When
:data:`STOP_AFTER_FAILURES` requests to one server fail in a row that way (a server that
went away, or refuses every request), the next raises :class:`BackendUnavailableError`
and the run stops instead of failing every match that is left. A refused key (401/403)
or an unknown model (404) raises :class:`BackendConfigError` at once: no retry can fix
it and the run stops.

:class:`TransformersBackend` runs a causal language model from a directory on disk with
Hugging Face ``transformers`` (an optional extra: ``pip install redqueen[local-llm]``),
one generation at a time in a worker thread.

Every backend has a ``key`` naming the server it talks to; agents that share a key share
one :func:`request_slots` semaphore per event loop, so ``max_concurrency`` bounds the
requests in flight to that server, however many matches are being played.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redqueen.errors import InvalidParameterError, RedqueenError

Message = dict[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": ...}``."""

MAX_BACKOFF = 30.0
STOP_AFTER_FAILURES = 3
"""Requests to one server that may fail in a row, each after all its retries, before the
run stops (:class:`BackendUnavailableError`)."""


class BackendError(RedqueenError):
    """A backend that gave no reply after its retries. The match is recorded as failed
    and is played again when the run is resumed."""


class BackendConfigError(BackendError):
    """A backend that can never answer as configured: a refused key, an unknown model, a
    missing environment variable or model directory. The run stops."""

    stops_run = True


class BackendUnavailableError(BackendConfigError):
    """A server that cannot be reached before the first request, or that stopped
    answering (:data:`STOP_AFTER_FAILURES` requests in a row failed). No match can be
    played until it is back, so the run stops, as for a configuration error; what
    finished is kept."""


@dataclass(frozen=True)
class Completion:
    """One reply, with what it cost."""

    text: str
    input_tokens: int
    output_tokens: int
    latency: float
    """Seconds from the first request to the reply, retries and backoff included."""
    attempts: int = 1
    """Requests made (1 + retries)."""


class Backend(ABC):
    """Turns chat messages into a reply."""

    key: str
    """Names the server (or model on disk): agents with equal keys share request slots."""

    def check(self) -> None:  # noqa: B027 - optional hook
        """Raise :class:`BackendConfigError` now if the backend cannot work at all."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Close what the backend opened in the running event loop (HTTP clients), before
        that loop is closed."""

    @abstractmethod
    async def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float,
        max_tokens: int,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> Completion:
        """The model's reply to ``messages``."""


# ---- request slots ------------------------------------------------------------------

_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)
_SLOTS_LOCK = threading.Lock()


def request_slots(key: str, limit: int) -> asyncio.Semaphore:
    """The semaphore bounding requests in flight to backend ``key`` in the running event
    loop (created with ``limit`` slots by its first user)."""
    loop = asyncio.get_running_loop()
    with _SLOTS_LOCK:
        per_loop = _SLOTS.setdefault(loop, {})
        if key not in per_loop:
            per_loop[key] = asyncio.Semaphore(limit)
        return per_loop[key]


# ---- the health of a server, per event loop --------------------------------------------


@dataclass
class _Health:
    """What one event loop has seen of one server: its connection check (running, passed,
    or the message of its failure), the requests that failed in a row since the last
    reply, and why it is judged down (then no more requests are sent to it)."""

    check: asyncio.Task[None] | str | None = None
    passed: bool = False
    failures_in_a_row: int = 0
    down: str = ""


_HEALTH: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Health]] = (
    weakref.WeakKeyDictionary()
)


def _health(key: str) -> _Health:
    loop = asyncio.get_running_loop()
    with _SLOTS_LOCK:
        return _HEALTH.setdefault(loop, {}).setdefault(key, _Health())


# ---- OpenAI-compatible chat API -------------------------------------------------------


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class OpenAIBackend(Backend):
    """The OpenAI chat-completions API at ``base_url`` (None: OpenAI's own)."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 1.0,
    ) -> None:
        if api_key_env is not None and not _ENV_NAME.fullmatch(str(api_key_env)):
            # Never echo the value: it is often the key itself, pasted in by mistake.
            raise InvalidParameterError(
                "api_key_env must be the NAME of an environment variable (letters, digits "
                "and _, e.g. OPENAI_API_KEY), not the key itself; the value given is not shown"
            )
        if timeout <= 0:
            raise InvalidParameterError(f"timeout must be > 0 seconds, got {timeout}")
        if max_retries < 0:
            raise InvalidParameterError(f"max_retries must be >= 0, got {max_retries}")
        if backoff < 0:
            raise InvalidParameterError(f"backoff must be >= 0 seconds, got {backoff}")
        self.model = model
        self.base_url = base_url
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.key = f"openai:{base_url or 'https://api.openai.com/v1'}"
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_clients"] = None  # clients belong to an event loop and hold the key
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._clients = weakref.WeakKeyDictionary()

    def _api_key(self) -> str:
        if self.api_key_env is None:
            return "EMPTY"  # local servers (vLLM, Ollama, the test server) want no key
        value = os.environ.get(self.api_key_env)
        if not value:
            raise BackendConfigError(
                f"the environment variable {self.api_key_env} (api_key_env) is not set; "
                "export the key in it, or set api_key_env to null for a server without keys"
            )
        return value

    def check(self) -> None:
        try:
            import openai  # noqa: F401
        except ImportError:  # pragma: no cover - openai is an extra
            raise BackendConfigError(
                "the LLM player needs the openai client: pip install redqueen[llm]"
            ) from None
        self._api_key()

    def _scrub(self, text: str) -> str:
        if self.api_key_env:
            value = os.environ.get(self.api_key_env)
            if value:
                text = text.replace(value, "[key redacted]")
        return text

    @property
    def url(self) -> str:
        """The server's base URL, as shown in messages."""
        return self.base_url or "https://api.openai.com/v1"

    async def check_connection(self) -> None:
        """Raise :class:`BackendUnavailableError`, with the cause, if no server answers at
        :attr:`url`: one ``GET /models`` with no retries. Any HTTP answer, an error status
        included, shows that a server is there; the requests themselves judge the rest."""
        import openai

        try:
            await self._client().get("/models", cast_to=object)
        except openai.APIStatusError:
            return
        except openai.APIConnectionError as err:  # refused, unreachable, timed out
            raise BackendUnavailableError(
                f"no LLM server answers at {self.url} after 1 attempt "
                f"({self._scrub(_cause_text(err))}); "
                "start the server, or set base_url to one that is running"
            ) from None

    async def _checked(self) -> None:
        """:meth:`check_connection`, once per server and event loop: concurrent first
        requests wait for the same check, and every later one knows its outcome."""
        health = _health(self.key)
        if health.down:
            raise BackendUnavailableError(health.down)
        if health.passed:
            return
        if isinstance(health.check, str):
            raise BackendUnavailableError(health.check)
        if health.check is None:
            health.check = asyncio.get_running_loop().create_task(self.check_connection())
        task = health.check
        try:
            await asyncio.shield(task)
        except BackendUnavailableError as err:
            health.check = str(err)  # the message, not the task: it holds the loop
            raise BackendUnavailableError(str(err)) from None
        health.check, health.passed = None, True

    def _gave_up(self, error: BackendError) -> BackendError:
        """Count a request that failed after its retries; the error to raise for it: the
        same, or :class:`BackendUnavailableError` once too many failed in a row (the
        server is then judged down: later requests in this event loop are not sent)."""
        health = _health(self.key)
        health.failures_in_a_row += 1
        if health.failures_in_a_row < STOP_AFTER_FAILURES:
            return error
        health.down = health.down or (
            f"the LLM server at {self.url} stopped answering: {health.failures_in_a_row} "
            f"requests in a row failed, with up to {self.max_retries + 1} attempt(s) each "
            f"(last: {error})"
        )
        return BackendUnavailableError(health.down)

    async def aclose(self) -> None:
        """Close the client of the running event loop, if one was opened."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

    def _client(self) -> Any:
        import openai

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = openai.AsyncOpenAI(
                api_key=self._api_key(),
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,  # retries are ours: counted, with our backoff
                http_client=openai.DefaultAsyncHttpxClient(
                    timeout=self.timeout, verify=_tls_context()
                ),
            )
            self._clients[loop] = client
        return client

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float,
        max_tokens: int,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> Completion:
        await self._checked()
        try:
            completion = await self._complete(
                messages,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=seed,
                response_format=response_format,
            )
        except BackendConfigError:
            raise
        except BackendError as err:
            raise self._gave_up(err) from None
        health = _health(self.key)
        health.failures_in_a_row, health.down = 0, ""
        return completion

    async def _complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float,
        max_tokens: int,
        seed: int | None,
        response_format: dict[str, Any] | None,
    ) -> Completion:
        import openai

        client = self._client()
        request: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "temperature": temperature,
            "max_tokens": max_tokens,
        }
        if seed is not None:
            request["seed"] = seed
        if response_format is not None:
            request["response_format"] = response_format
        start = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            try:
                # The client's own POST: its errors, auth and connection pool, without
                # the per-call typed-dict transform and model building of
                # chat.completions.create (about half of its CPU time per call).
                response = await client.post("/chat/completions", body=request, cast_to=object)
            except (openai.AuthenticationError, openai.PermissionDeniedError) as err:
                raise BackendConfigError(
                    f"bad credentials: {self.base_url or 'the OpenAI API'} refused the key "
                    f"from ${self.api_key_env} (HTTP {err.status_code})"
                ) from None
            except openai.NotFoundError as err:
                raise BackendConfigError(
                    f"unknown model {self.model!r} at {self.base_url or 'the OpenAI API'} "
                    f"(HTTP 404: {self._scrub(_error_text(err))})"
                ) from None
            except (
                openai.RateLimitError,
                openai.InternalServerError,
                openai.APITimeoutError,
                openai.APIConnectionError,
            ) as err:
                if attempt > self.max_retries:
                    raise BackendError(
                        f"{self.key} gave no reply after {attempt} attempts: "
                        f"{self._scrub(_error_text(err))}"
                    ) from None
                await asyncio.sleep(min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1)))
                continue
            except openai.APIStatusError as err:
                if err.status_code >= 500 and attempt <= self.max_retries:
                    await asyncio.sleep(min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1)))
                    continue
                raise BackendError(
                    f"{self.key} refused the request (HTTP {err.status_code}): "
                    f"{self._scrub(_error_text(err))}"
                ) from None
            break
        latency = time.perf_counter() - start
        if not isinstance(response, dict):
            raise BackendError(f"{self.key} answered with something that is not a JSON object")
        choices = response.get("choices") or [{}]
        message = choices[0].get("message") or {} if isinstance(choices[0], dict) else {}
        text = message.get("content") if isinstance(message, dict) else None
        usage = response.get("usage") or {}
        return Completion(
            text=text if isinstance(text, str) else "",
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
            latency=latency,
            attempts=attempt,
        )


_TLS: list[Any] = []


def _tls_context() -> Any:
    """One TLS context for every client: loading the CA certificates takes ~0.5 s, and a
    client is made per event loop."""
    with _SLOTS_LOCK:
        if not _TLS:
            import ssl

            try:
                import certifi

                _TLS.append(ssl.create_default_context(cafile=certifi.where()))
            except ImportError:  # pragma: no cover - certifi comes with httpx
                _TLS.append(ssl.create_default_context())
        return _TLS[0]


def _cause_text(err: Exception) -> str:
    """:func:`_error_text`, and the error under it (``ConnectError: [Errno 111]
    Connection refused``) when there is one."""
    text = _error_text(err)
    cause = err.__cause__ or err.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text += f" ({type(cause).__name__}: {str(cause)[:200]})"
    return text


def _error_text(err: Exception) -> str:
    status = getattr(err, "status_code", None)
    body = getattr(err, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message or err)
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(err).__name__}{f' {status}' if status else ''}: {text}"


# ---- a local model with transformers --------------------------------------------------


class TransformersBackend(Backend):
    """A causal language model in a directory on disk, run with ``transformers``.

    The chat messages are rendered with the tokenizer's chat template when it has one,
    else as ``role: content`` lines ending with ``assistant:``. Sampling uses
    ``temperature`` (0: greedy) and a torch generator seeded from the request's seed.
    """

    def __init__(self, model_path: str, *, device: str = "cpu") -> None:
        self.model_path = str(model_path)
        self.device = device
        self.key = f"transformers:{Path(model_path).resolve()}"
        self._loaded: tuple[Any, Any] | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_loaded"] = None
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def check(self) -> None:
        try:
            import transformers  # noqa: F401
        except ImportError:  # pragma: no cover - transformers is an extra
            raise BackendConfigError(
                "the transformers backend needs transformers and torch: "
                "pip install redqueen[local-llm]"
            ) from None
        if not Path(self.model_path).is_dir():
            raise BackendConfigError(
                f"no model directory at {self.model_path} (the transformers backend loads "
                "a model saved with save_pretrained)"
            )

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            self.check()
            tokenizer = AutoTokenizer.from_pretrained(self.model_path)
            model: Any = AutoModelForCausalLM.from_pretrained(self.model_path)
            model = model.to(self.device)
            model.eval()
            self._loaded = (tokenizer, model)
        return self._loaded

    def _generate(
        self, messages: Sequence[Message], temperature: float, max_tokens: int, seed: int | None
    ) -> Completion:
        import torch

        start = time.perf_counter()
        with self._lock:
            tokenizer, model = self._load()
            if getattr(tokenizer, "chat_template", None):
                prompt = tokenizer.apply_chat_template(
                    list(messages), tokenize=False, add_generation_prompt=True
                )
            else:
                prompt = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
                prompt += "\nassistant:"
            inputs = tokenizer(prompt, return_tensors="pt").to(self.device)
            if seed is not None:
                torch.manual_seed(seed)
            pad = tokenizer.pad_token_id
            if pad is None:
                pad = tokenizer.eos_token_id
            with torch.no_grad():
                output = model.generate(
                    **inputs,
                    max_new_tokens=max_tokens,
                    do_sample=temperature > 0,
                    temperature=temperature if temperature > 0 else None,
                    top_p=None,
                    top_k=None,
                    pad_token_id=pad,
                )
            n_in = int(inputs["input_ids"].shape[1])
            new = output[0][n_in:]
            text = tokenizer.decode(new, skip_special_tokens=True)
        return Completion(text, n_in, int(new.shape[0]), time.perf_counter() - start)

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float,
        max_tokens: int,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> Completion:
        return await asyncio.to_thread(self._generate, messages, temperature, max_tokens, seed)
