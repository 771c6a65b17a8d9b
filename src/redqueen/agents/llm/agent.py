"""LLMAgent: a language model behind a chat API plays any registered game by its text view.

How to use::

    from redqueen.agents.llm import LLMAgent
    agent = LLMAgent(
        model="gpt-4o-mini",               # or any model an OpenAI-compatible server serves
        base_url=None,                     # e.g. "http://localhost:8000/v1" for vLLM/Ollama
        api_key_env="OPENAI_API_KEY",      # the *name* of the variable; None: no key
        answer_format="boxed",             # "boxed" | "tags" | "json" (structured outputs)
        reasks=1, on_invalid="forfeit",    # or "random" | "default" (with default_move=...)
    )
    result = await redqueen.play.aplay_match(game, [agent, other], seed=0)

In a recipe: ``{kind: llm, params: {model: ..., base_url: ...}}``; ``redqueen run``
then plays the matches concurrently on asyncio, with at most ``max_concurrency``
requests in flight per server, and stores every call (transcripts, cache, tokens, cost)
in the run directory. ``redqueen serve-scripted`` starts a scripted *test* server to try
all this without a model.

Each decision is one chat: a system message (the game's ``rules_text()``, how to answer,
and ``system_prompt_extra``, e.g. a persona) and a user message (the seat's
``observation_text`` and the legal moves, one per line); see
:mod:`redqueen.agents.llm.prompts`. The reply is read by
:mod:`redqueen.agents.llm.parsing` (extract the answer in the configured format, then
match it to a legal move: exact, normalised, unique prefix); it is never evaluated. A
reply that names no legal move is an *invalid move*: the agent re-asks with feedback up
to ``reasks`` times (the conversation grows by the bad reply and the feedback), then
applies ``on_invalid``:

- ``"forfeit"``: the seat gives up the match: it scores ``forfeit_value`` (default: the
  game's minimum utility) and the match ends (see ``redqueen.play.match``);
- ``"random"``: a uniformly random legal move from the seat's random stream;
- ``"default"``: ``default_move`` (a move's name) when legal, else the first legal move.

Every invalid reply is counted against the seat in ``MatchResult.invalid_moves`` and a
forfeit in ``MatchResult.forfeits``, apart from the game's own wins and losses: the
agent answers with an :class:`LLMMove`, an ``int`` that carries those counts.

Each call sends a seed drawn from the seat's random stream, so a match is a function of
its seed, and the seed is part of the cache key: with ``cache=True`` (the default) a
call already in the run store's cache is answered from it with no request. ``cache`` may
also be the path of a SQLite file shared between runs, or ``False``.

Subclasses (personas, belief elicitation) may override :meth:`messages` to change the
conversation, or call :meth:`chat` to ask the model anything with the same backend,
cache, accounting and transcript.
"""

from __future__ import annotations

import asyncio
import inspect
import operator
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.llm.backends import (
    Backend,
    Completion,
    Message,
    OpenAIBackend,
    TransformersBackend,
    request_slots,
)
from redqueen.agents.llm.calls import CallRecord, cache_key, call_cost
from redqueen.agents.llm.context import CallSink, current_match, open_cache_file
from redqueen.agents.llm.parsing import extract_answer, parse_reply
from redqueen.agents.llm.prompts import (
    check_answer_format,
    decision_message,
    feedback_message,
    json_response_format,
    system_prompt,
)
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import Game

ON_INVALID_CHOICES: tuple[str, ...] = ("forfeit", "random", "default")
BACKENDS: tuple[str, ...] = ("openai", "transformers")


class LLMMove(int):
    """An action id that also says how the agent got there: how many invalid replies it
    gave first, and whether it forfeits (then the id is -1 and ``forfeit_value`` is the
    seat's score). ``redqueen.play.match`` reads these fields; anything else sees an int."""

    invalid_moves: int
    forfeit: bool
    forfeit_value: float | None

    def __new__(
        cls,
        action: int,
        invalid_moves: int = 0,
        forfeit: bool = False,
        forfeit_value: float | None = None,
    ) -> LLMMove:
        move = super().__new__(cls, action)
        move.invalid_moves = invalid_moves
        move.forfeit = forfeit
        move.forfeit_value = forfeit_value
        return move

    def __reduce__(self) -> tuple[Any, ...]:
        return (LLMMove, (int(self), self.invalid_moves, self.forfeit, self.forfeit_value))


class LLMAgent(Agent):
    """A player whose moves come from a language model (see the module docstring)."""

    name = "llm"
    prefers_async = True
    """Runners play matches with such agents concurrently on asyncio."""

    def __init__(
        self,
        model: str = "scripted",
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        answer_format: str = "boxed",
        temperature: float = 0.0,
        max_tokens: int = 512,
        reasks: int = 1,
        on_invalid: str = "forfeit",
        forfeit_value: float | None = None,
        default_move: str | None = None,
        max_concurrency: int = 8,
        system_prompt_extra: str | None = None,
        cache: bool | str = True,
        backend: str = "openai",
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        prices: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        given = {k: v for k, v in locals().items() if k != "self"}
        check_answer_format(answer_format)
        if not isinstance(model, str) or not model:
            raise InvalidParameterError("model must be a non-empty string (a model name)")
        if backend not in BACKENDS:
            raise InvalidParameterError(f"backend={backend!r}; allowed: {', '.join(BACKENDS)}")
        if not 0.0 <= float(temperature) <= 2.0:
            raise InvalidParameterError(f"temperature must be in [0, 2], got {temperature}")
        if not 1 <= int(max_tokens) <= 1_000_000:
            raise InvalidParameterError(f"max_tokens must be in 1..1000000, got {max_tokens}")
        if not 0 <= int(reasks) <= 100:
            raise InvalidParameterError(f"reasks must be in 0..100, got {reasks}")
        if on_invalid not in ON_INVALID_CHOICES:
            raise InvalidParameterError(
                f"on_invalid={on_invalid!r}; allowed: {', '.join(ON_INVALID_CHOICES)}"
            )
        if on_invalid == "default" and not default_move:
            raise InvalidParameterError('on_invalid="default" needs default_move (a move name)')
        if not 1 <= int(max_concurrency) <= 10_000:
            raise InvalidParameterError(
                f"max_concurrency must be in 1..10000, got {max_concurrency}"
            )
        if prices is not None:
            for m, p in prices.items():
                if len(p) != 2 or min(float(x) for x in p) < 0:
                    raise InvalidParameterError(
                        f"prices[{m!r}] must be [dollars per 1M input tokens, dollars per 1M "
                        f"output tokens], both >= 0; got {p!r}"
                    )
        if not isinstance(cache, bool | str):
            raise InvalidParameterError(
                f"cache must be true, false or the path of a SQLite file; got {cache!r}"
            )
        self.model = model
        self.answer_format = answer_format
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.reasks = int(reasks)
        self.on_invalid = on_invalid
        self.forfeit_value = None if forfeit_value is None else float(forfeit_value)
        self.default_move = default_move
        self.max_concurrency = int(max_concurrency)
        self.system_prompt_extra = system_prompt_extra
        self.cache = cache
        self.backend_name = backend
        self.prices = {k: (float(v[0]), float(v[1])) for k, v in (prices or {}).items()}
        self.backend: Backend
        if backend == "openai":
            self.backend = OpenAIBackend(
                model,
                base_url=base_url,
                api_key_env=api_key_env,
                timeout=timeout,
                max_retries=max_retries,
                backoff=backoff,
            )
        else:
            self.backend = TransformersBackend(model)
        defaults = {
            n: p.default for n, p in inspect.signature(LLMAgent.__init__).parameters.items()
        }
        self._params = {
            n: v for n, v in given.items() if n in defaults and (v != defaults[n] or n == "model")
        }
        self._own_cache: CallSink | None = None

    # ---- the Agent contract -----------------------------------------------------------

    def spec(self) -> AgentSpec:
        params = dict(self._params)
        if "prices" in params:
            params["prices"] = {k: list(v) for k, v in self.prices.items()}
        return AgentSpec(self.name, params)

    def check_game(self, game: Game) -> None:
        self.backend.check()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_own_cache"] = None
        return state

    def act(self, obs: Observation) -> int | str:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.aact(obs))
        raise RedqueenError("LLMAgent.act was called inside an event loop; await aact instead")

    async def aact(self, obs: Observation) -> int | str:
        moves = list(zip(obs.legal_actions, obs.legal_action_texts, strict=True))
        messages = self.messages(obs)
        seed = int(obs.rng.integers(2**31))
        invalid = 0
        for attempt in range(self.reasks + 1):
            reply = await self.chat(messages, seat=obs.player, seed=seed + attempt, moves=moves)
            if not moves:  # a text-only game: the game judges the move
                answer = extract_answer(reply, self.answer_format)
                return (answer if answer is not None else reply).strip()
            parsed = parse_reply(reply, self.answer_format, moves)
            if parsed.action is not None:
                if invalid == 0:
                    return parsed.action
                return LLMMove(parsed.action, invalid_moves=invalid)
            invalid += 1
            if attempt < self.reasks:
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply},
                    {
                        "role": "user",
                        "content": feedback_message(
                            parsed.problem, obs.legal_action_texts, self.answer_format
                        ),
                    },
                ]
        if self.on_invalid == "forfeit":
            value = self.forfeit_value
            if value is None:
                value = float(obs.game.spec.min_utility)
            return LLMMove(-1, invalid_moves=invalid, forfeit=True, forfeit_value=value)
        if self.on_invalid == "default":
            assert self.default_move is not None
            try:
                action = obs.parse(self.default_move)
            except RedqueenError:
                action = obs.legal_actions[0]
            return LLMMove(action, invalid_moves=invalid)
        pick = obs.legal_actions[int(obs.rng.integers(len(obs.legal_actions)))]
        return LLMMove(pick, invalid_moves=invalid)

    # ---- the conversation -------------------------------------------------------------

    def messages(self, obs: Observation) -> list[Message]:
        """The chat for one decision: the system prompt and the decision message."""
        return [
            {
                "role": "system",
                "content": system_prompt(
                    obs.game.rules_text(),
                    self.answer_format,
                    self.system_prompt_extra,
                    text_moves=obs.game.spec.text_actions,
                ),
            },
            {
                "role": "user",
                "content": decision_message(obs.text, obs.legal_action_texts, self.answer_format),
            },
        ]

    def _sink(self) -> CallSink | None:
        """The cache: the run store's (from the match context) or the agent's own file."""
        if self.cache is False:
            return None
        if isinstance(self.cache, str):
            if self._own_cache is None:
                self._own_cache = open_cache_file(Path(self.cache))
            return self._own_cache
        context = current_match()
        return context.sink if context is not None else None

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        seat: int | None = None,
        seed: int | None = None,
        moves: Sequence[tuple[int, str]] = (),
    ) -> str:
        """Send ``messages`` (through the cache) and return the reply text. The call is
        counted, priced and stored in the transcript of the current match."""
        call = self._prepare(messages, seed, moves)
        completion = call.cached
        if completion is None:
            completion = await self._request(call)
        return self._keep(call, completion, seat, moves)

    def chat_blocking(
        self,
        messages: Sequence[Message],
        *,
        seat: int | None = None,
        seed: int | None = None,
        moves: Sequence[tuple[int, str]] = (),
    ) -> str:
        """:meth:`chat` from synchronous code, which may itself run inside an event loop (a
        game rule that asks a judge while ``aplay_match`` plays). The cache and the
        transcript are read and written in this thread, as :meth:`chat` does: the run
        store's SQLite connection belongs to it. Only the request runs elsewhere: on an
        event loop of its own (``asyncio.run``), in this thread when no loop is running
        here, else in a worker thread while this one waits, so other matches on the
        running loop pause meanwhile."""
        call = self._prepare(messages, seed, moves)
        completion = call.cached
        if completion is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                completion = asyncio.run(self._request_alone(call))
            else:
                with ThreadPoolExecutor(max_workers=1) as worker:
                    completion = worker.submit(asyncio.run, self._request_alone(call)).result()
        return self._keep(call, completion, seat, moves)

    def _prepare(
        self, messages: Sequence[Message], seed: int | None, moves: Sequence[tuple[int, str]]
    ) -> _Call:
        """The request's parameters and cache key, and its reply if the cache has it."""
        response_format = (
            json_response_format([name for _, name in moves])
            if self.answer_format == "json" and moves
            else None
        )
        params: dict[str, Any] = {
            "backend": self.backend_name,
            # the server (or model directory): one model name at two servers is two models
            "server": self.backend.key,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": seed,
            "response_format": response_format,
        }
        key = cache_key(self.model, params, messages)
        sink = self._sink()
        hit = sink.get(key) if sink is not None else None
        cached = (
            None if hit is None else Completion(hit.reply, hit.input_tokens, hit.output_tokens, 0.0)
        )
        return _Call(messages, seed, response_format, key, sink, cached)

    async def _request(self, call: _Call) -> Completion:
        """Ask the backend (within the server's request slots of the running loop)."""
        async with request_slots(self.backend.key, self.max_concurrency):
            return await self.backend.complete(
                call.messages,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                seed=call.seed,
                response_format=call.response_format,
            )

    async def _request_alone(self, call: _Call) -> Completion:
        """:meth:`_request` on an event loop made for it alone: what the backend opened
        in that loop is closed before the loop is."""
        try:
            return await self._request(call)
        finally:
            await self.backend.aclose()

    def _keep(
        self,
        call: _Call,
        completion: Completion,
        seat: int | None,
        moves: Sequence[tuple[int, str]],
    ) -> str:
        """Cache a new reply, record the call in the current match's transcript, and
        return the reply text."""
        cached = call.cached is not None
        if not cached and call.sink is not None:
            call.sink.put(
                call.key,
                self.model,
                completion.text,
                completion.input_tokens,
                completion.output_tokens,
            )
        context = current_match()
        if context is not None and context.sink is not None:
            action: int | None = None
            if moves:
                parsed = parse_reply(completion.text, self.answer_format, moves)
                action = parsed.action
            name = context.seat_name(seat) if seat is not None else None
            prices = self.prices or None
            context.sink.record_call(
                CallRecord(
                    match_key=context.match_key,
                    seat=seat,
                    call=context.next_call(-1 if seat is None else seat),
                    agent=name or self.spec().label(),
                    model=self.model,
                    messages=[dict(m) for m in call.messages],
                    reply=completion.text,
                    action=None if action is None else operator.index(action),
                    input_tokens=completion.input_tokens,
                    output_tokens=completion.output_tokens,
                    latency=completion.latency,
                    cost=0.0
                    if cached
                    else call_cost(
                        self.model, completion.input_tokens, completion.output_tokens, prices
                    ),
                    cached=cached,
                )
            )
        return completion.text


@dataclass(frozen=True)
class _Call:
    """One chat request as :meth:`LLMAgent.chat` prepares it."""

    messages: Sequence[Message]
    seed: int | None
    response_format: dict[str, Any] | None
    key: str
    sink: CallSink | None
    cached: Completion | None
    """The reply from the cache (None: not cached, or no cache)."""
