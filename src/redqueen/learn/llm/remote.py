"""A generator behind an OpenAI-compatible completions server (vLLM): token ids in, the
sampled token ids and their logprobs out.

:class:`OpenAICompatibleGenerator` implements :class:`~redqueen.learn.llm.generators.
Generator` by sending each prompt as its own ``POST {base_url}/completions`` request,
so each row has its own ``seed`` (one seed per prompt, as the collector gives; one int
for the batch is spread to the rows as ``SeedSequence((seed, row))``). At most
``max_concurrency`` requests are in flight; the answers come back in the order of the
prompts.

**What the server must support** (vLLM's OpenAI server does; the fields after ``seed``
are vLLM's extensions of the OpenAI API):

- ``prompt`` given as a list of token ids, ``max_tokens``, ``temperature``, ``seed``;
- ``logprobs: 0``: the logprob of each sampled token (and no alternatives);
- ``return_tokens_as_token_ids: true``: each token of ``logprobs.tokens`` comes back as
  ``"token_id:123"``, so the exact ids survive (no detokenising and re-encoding);
- ``stop_token_ids`` (the collector's stop ids; the model's end-of-sequence ids are
  the server's own), ``skip_special_tokens: false``;
- ``top_p: 1``, ``top_k: -1``, ``min_p: 0`` and no penalties, sent explicitly: vLLM fills
  the fields a request leaves out from the model's ``generation_config.json`` (many
  chat models set ``top_k`` and ``top_p`` there), which would change the distribution.

It returns per prompt the sampled ids (a stop or end-of-sequence token included, as
vLLM keeps it in the output ids), their logprobs, and ``finish_reason`` ``"stop"`` (it
ended on such a token) or ``"length"`` (``max_tokens`` reached), which are
:class:`~redqueen.learn.llm.generators.Generation`'s meanings.

**Which logprobs.** :class:`~redqueen.learn.llm.generators.Generation` records
``log softmax(logits / T)`` of each sampled token, the distribution it was drawn from
and the one the learner scores. vLLM returns what its ``--logprobs-mode`` says, and its
default, ``raw_logprobs``, is the distribution *before* temperature (and any other
processor). Start vLLM (0.10.2 or later) with ``--logprobs-mode processed_logprobs`` for
the temperature-scaled logprobs (processed also means after top-k/top-p, which the
neutral values above switch off). Under the default mode the logprobs are right only
at ``T = 1``, and at ``T = 0`` (greedy), where vLLM, like
:class:`~redqueen.learn.llm.generators.TransformersGenerator`, records temperature 1.
No reply says which mode the server runs in, so this cannot be checked here. A seed
fixes vLLM's draws for a request (each seeded request has its own torch generator), but
vLLM's numerics may depend on what else is in its batch: replays repeat exactly only
as far as the server is batch-invariant.

**Model names.** ``model`` (per instance, or per call) selects what the server serves
under that name: vLLM serves the base model under ``--served-model-name`` and each LoRA
adapter under its ``--lora-modules`` name (or the name given to
``/v1/load_lora_adapter``), so :meth:`OpenAICompatibleGenerator.with_model` makes the
generator of one policy version. ``model=None`` asks ``GET {base_url}/models`` once and
uses the first name listed (the base model on vLLM).

**Failures** raise :class:`RemoteGeneratorError` with the URL in the message: a server
that cannot be reached (what to check), HTTP errors (status and an excerpt of the body),
an unknown model name, a reply without token ids or logprobs (what the server must
support). HTTP 429 and 5xx, timeouts and refused connections are retried up to
``max_retries`` times, ``backoff * 2**k`` seconds apart (capped at 30 s), as
:class:`~redqueen.agents.llm.backends.OpenAIBackend` does; other errors are raised at
once. The API key, when the server wants one, is read from the environment variable
named by ``api_key_env`` and scrubbed from every message.

The requests go through the official ``openai`` client (the ``llm`` extra, imported
when the first request is made): its ``post`` with a plain JSON body, as
:class:`~redqueen.agents.llm.backends.OpenAIBackend` sends chat requests, which carries
vLLM's fields without ``extra_body`` and hands back the reply as plain data to check.
One synchronous client is shared by a pool of threads, one thread per request in
flight, so :meth:`~OpenAICompatibleGenerator.generate` is an ordinary call that a
collector (or a Ray actor) makes from any thread, event loop or not.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from redqueen.agents.llm.backends import MAX_BACKOFF, BackendError
from redqueen.errors import InvalidParameterError
from redqueen.learn.llm.generators import Generation

__all__ = ["OpenAICompatibleGenerator", "RemoteGeneratorError"]

SERVER_NEEDS = (
    "the server must support logprobs and return_tokens_as_token_ids on /v1/completions, "
    "as vLLM's OpenAI server does (start it with --logprobs-mode processed_logprobs, "
    "vLLM 0.10.2 or later)"
)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_TOKEN_ID = re.compile(r"token_id:(\d+)")


class RemoteGeneratorError(BackendError):
    """A completions server that gave no usable reply: unreachable, an HTTP error after
    the retries, an unknown model, or a reply without token ids and logprobs."""


class _Connection:
    """The client and the default model name, shared by a generator and the generators
    :meth:`OpenAICompatibleGenerator.with_model` makes from it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.client: Any = None
        self.default_model: str | None = None


class OpenAICompatibleGenerator:
    """Samples completions on an OpenAI-compatible completions server (see the module
    docstring for what the server must support and what comes back).

    ``base_url`` ends with ``/v1`` (e.g. ``http://localhost:8000/v1``); ``model`` is the
    served name to use (None: the first one the server lists); ``timeout`` bounds each
    request in seconds; ``max_concurrency`` bounds the requests in flight.
    """

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key_env: str | None = None,
        timeout: float = 120.0,
        max_concurrency: int = 32,
        max_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InvalidParameterError(
                f"base_url must start with http:// or https:// (e.g. http://localhost:8000/v1), "
                f"got {base_url!r}"
            )
        if api_key_env is not None and not _ENV_NAME.fullmatch(str(api_key_env)):
            # Never echo the value: it is often the key itself, pasted in by mistake.
            raise InvalidParameterError(
                "api_key_env must be the NAME of an environment variable (letters, digits "
                "and _), not the key itself; the value given is not shown"
            )
        if timeout <= 0:
            raise InvalidParameterError(f"timeout must be > 0 seconds, got {timeout}")
        if max_concurrency < 1:
            raise InvalidParameterError(
                f"max_concurrency must be at least 1, got {max_concurrency}"
            )
        if max_retries < 0:
            raise InvalidParameterError(f"max_retries must be >= 0, got {max_retries}")
        if backoff < 0:
            raise InvalidParameterError(f"backoff must be >= 0 seconds, got {backoff}")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.max_concurrency = int(max_concurrency)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self._connection = _Connection()

    def with_model(self, model: str) -> OpenAICompatibleGenerator:
        """The same server and settings with another served model (a LoRA adapter's name:
        the generator of one policy version). The two share one client."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.model = model
        return other

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_connection"] = None  # a client holds sockets and the key
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._connection = _Connection()

    def close(self) -> None:
        """Close the client's connections (a later request opens new ones)."""
        with self._connection.lock:
            client, self._connection.client = self._connection.client, None
        if client is not None:
            client.close()

    # ---- sampling ---------------------------------------------------------------------

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int | Sequence[int],
        stop_ids: Sequence[int] = (),
        model: str | None = None,
    ) -> list[Generation]:
        """One :class:`Generation` per prompt, in order, one request each. ``seed``: one
        per prompt, or one int spread to the rows; ``model`` overrides the instance's."""
        if not prompts or any(len(p) == 0 for p in prompts):
            raise InvalidParameterError("generate needs at least one prompt, none of them empty")
        if max_new_tokens < 1:
            raise InvalidParameterError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
        if temperature < 0:
            raise InvalidParameterError(f"temperature must be 0 (greedy) or more: {temperature}")
        if isinstance(seed, int):
            seeds = [_row_seed(seed, row) for row in range(len(prompts))]
        else:
            if len(seed) != len(prompts):
                raise InvalidParameterError(
                    f"{len(seed)} seeds for {len(prompts)} prompts; give one seed or one each"
                )
            seeds = [int(s) for s in seed]
        name = model if model is not None else self.model
        if name is None:
            name = self._default_model()
        requests = [
            {
                "model": name,
                "prompt": [int(t) for t in prompt],
                "max_tokens": int(max_new_tokens),
                "temperature": float(temperature),
                "seed": row_seed,
                "n": 1,
                "logprobs": 0,
                "return_tokens_as_token_ids": True,
                "stop_token_ids": [int(t) for t in stop_ids],
                "skip_special_tokens": False,
                "top_p": 1.0,
                "top_k": -1,
                "min_p": 0.0,
                "repetition_penalty": 1.0,
                "presence_penalty": 0.0,
                "frequency_penalty": 0.0,
            }
            for prompt, row_seed in zip(prompts, seeds, strict=True)
        ]
        if len(requests) == 1:
            return [self._complete(requests[0])]
        workers = min(self.max_concurrency, len(requests))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="completions") as pool:
            futures = [pool.submit(self._complete, r) for r in requests]
            try:
                return [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()  # the requests not yet sent are not sent
                raise

    def _complete(self, request: dict[str, Any]) -> Generation:
        reply = self._call("post", "/completions", request)
        return self._generation(reply, request)

    def _generation(self, reply: Any, request: dict[str, Any]) -> Generation:
        where = f"{self.base_url}/completions"
        choices = reply.get("choices") if isinstance(reply, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise RemoteGeneratorError(
                f"{where} answered without a completion choice: {_excerpt(reply)}"
            )
        choice = choices[0]
        logprobs = choice.get("logprobs")
        tokens = logprobs.get("tokens") if isinstance(logprobs, dict) else None
        values = logprobs.get("token_logprobs") if isinstance(logprobs, dict) else None
        if not isinstance(tokens, list) or not isinstance(values, list) or not tokens:
            raise RemoteGeneratorError(
                f"{where} returned no token logprobs for model {request['model']!r}; {SERVER_NEEDS}"
            )
        matches = [_TOKEN_ID.fullmatch(t) if isinstance(t, str) else None for t in tokens]
        if any(m is None for m in matches):
            first = next(t for t, m in zip(tokens, matches, strict=True) if m is None)
            raise RemoteGeneratorError(
                f"{where} returned tokens as text (e.g. {first!r}), not as 'token_id:N'; "
                f"{SERVER_NEEDS}"
            )
        if len(values) != len(tokens) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
        ):
            raise RemoteGeneratorError(
                f"{where} returned {len(tokens)} tokens with logprobs {_excerpt(values)}; "
                f"every sampled token needs its logprob: {SERVER_NEEDS}"
            )
        finish = choice.get("finish_reason")
        if finish not in ("stop", "length"):
            raise RemoteGeneratorError(
                f"{where} ended a completion with finish_reason {finish!r}; "
                "expected 'stop' (a stop or end-of-sequence token) or 'length'"
            )
        ids = [int(m.group(1)) for m in matches if m is not None]
        return Generation(ids, [float(v) for v in values], str(finish))

    def _default_model(self) -> str:
        connection = self._connection
        if connection.default_model is None:
            reply = self._call("get", "/models", None)
            data = reply.get("data") if isinstance(reply, dict) else None
            names = [m.get("id") for m in data or [] if isinstance(m, dict)]
            if not names or not isinstance(names[0], str):
                raise RemoteGeneratorError(
                    f"{self.base_url}/models lists no model; give the served model name "
                    f"(model=...): {_excerpt(reply)}"
                )
            connection.default_model = names[0]
        return connection.default_model

    # ---- HTTP ---------------------------------------------------------------------------

    def _client(self) -> Any:
        try:
            import openai
        except ImportError:  # pragma: no cover - openai is an extra
            raise RemoteGeneratorError(
                "the remote generator needs the openai client: pip install redqueen[llm]"
            ) from None
        connection = self._connection
        with connection.lock:
            if connection.client is None:
                connection.client = openai.OpenAI(
                    api_key=self._api_key(),
                    base_url=self.base_url,
                    timeout=self.timeout,
                    max_retries=0,  # retries are ours: counted, with our backoff
                )
            return connection.client

    def _api_key(self) -> str:
        if self.api_key_env is None:
            return "EMPTY"  # vLLM started without --api-key wants none
        value = os.environ.get(self.api_key_env)
        if not value:
            raise RemoteGeneratorError(
                f"the environment variable {self.api_key_env} (api_key_env) is not set; "
                "export the server's key in it, or set api_key_env to None for a server "
                "without keys"
            )
        return value

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        """One request, retried on 429, 5xx, timeouts and refused connections."""
        import openai

        client = self._client()
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            attempt += 1
            try:
                if method == "post":
                    return client.post(path, body=body, cast_to=object)
                return client.get(path, cast_to=object)
            except (openai.AuthenticationError, openai.PermissionDeniedError) as err:
                if self.api_key_env is None:
                    hint = "set api_key_env to the name of the environment variable with the key"
                else:
                    hint = f"check the key in ${self.api_key_env} and the server's --api-key"
                raise RemoteGeneratorError(
                    f"{url} refused the request (HTTP {err.status_code}): {hint}"
                ) from None
            except openai.NotFoundError as err:
                model = body.get("model") if body else None
                raise RemoteGeneratorError(
                    f"{url} answered HTTP 404 (model {model!r}): {self._excerpt_of(err)}; "
                    f"check that base_url ends with /v1 and that the server serves this model "
                    f"or LoRA adapter name (GET {self.base_url}/models lists them)"
                ) from None
            except (
                openai.RateLimitError,
                openai.InternalServerError,
                openai.APITimeoutError,
                openai.APIConnectionError,
            ) as err:
                if attempt > self.max_retries:
                    raise RemoteGeneratorError(self._gave_up(url, err, attempt)) from None
            except openai.APIStatusError as err:
                if err.status_code < 500 or attempt > self.max_retries:
                    raise RemoteGeneratorError(
                        f"{url} refused the request (HTTP {err.status_code}): "
                        f"{self._excerpt_of(err)}"
                    ) from None
            time.sleep(min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1)))

    def _gave_up(self, url: str, err: Exception, attempts: int) -> str:
        import openai

        tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
        if isinstance(err, openai.APITimeoutError):
            return (
                f"{url} gave no answer within {self.timeout:g} s ({tries}); check that the "
                "server is up and not overloaded, or raise timeout"
            )
        if isinstance(err, openai.APIConnectionError):
            return (
                f"cannot reach the completions server at {url} ({tries}: {err}); check that "
                "the server is running (e.g. vllm serve MODEL --logprobs-mode "
                "processed_logprobs), and the host, the port and that base_url ends with /v1"
            )
        status = getattr(err, "status_code", "?")
        return f"{url} answered HTTP {status} after {tries}: {self._excerpt_of(err)}"

    def _excerpt_of(self, err: Exception) -> str:
        body = getattr(err, "body", None)
        message = body.get("message") if isinstance(body, dict) else None
        text = _excerpt(message if message is not None else (body or str(err)))
        if self.api_key_env and os.environ.get(self.api_key_env):
            text = text.replace(os.environ[self.api_key_env], "[key redacted]")
        return text


def _row_seed(seed: int, row: int) -> int:
    """Row ``row``'s seed when one int is given for a batch (below 2**32, which every
    server and torch take)."""
    if seed < 0:
        raise InvalidParameterError(f"seed must be >= 0, got {seed}")
    return int(np.random.SeedSequence((seed, row)).generate_state(1)[0])


def _excerpt(value: object, limit: int = 300) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
