"""The policy an LLM induces on a small game, and its exact exploitability.

At every information state of every player, the model is shown the prompt the collector
would show (:class:`~redqueen.learn.llm.collector.Prompter`) and each legal move is scored
as the model's answer, in every spelling the collector's parser reads as that move: the
move's words, the words with a full stop, and the move's action id (``bet``, ``bet.``,
``1``). A spelling counts when its tokens decode back to a reply that parses as the move
(a word the tokenizer does not know does not), and the probability of a move is the sum
over its spellings of the answer's probability: the answer's tokens (the spelling in the
prompt style's answer format, then the end-of-sequence token; in the ``plain`` style,
whose replies are read by their first words, the spelling's tokens alone, so a spelling
whose tokens extend another's is already counted), their logprobs summed. A move with
no spelling the tokenizer can write has probability 0; where no legal move has one, the
policy is uniform, as :func:`sampled_policy`'s is where no reply was legal. Scoring the
move's words only would miss a model that learned to answer ``bet.`` or ``1``: the tiny
word-level model does, and its policy then looked like a different one.

The probabilities are normalised over the legal moves, so the induced policy is the
model's play *given that it answers legally* (how often it does not is the legal-move
rate, measured apart). For a model that writes free reasoning before its answer this
scores the direct answer only; :func:`sampled_policy` estimates the policy by sampling
replies instead, with the share of replies that named no legal move.

The exact best response of :mod:`redqueen.solve` to that tabular policy gives its
exploitability (NashConv over the number of players), for any game small enough to
compile (Kuhn and Leduc poker, small matrix games). SPIRAL's and MARS's papers report win
rates only; an exploitability says how far from an equilibrium the trained model plays.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from redqueen.agents.core import Agent, Observation
from redqueen.errors import InvalidParameterError
from redqueen.games.core import CHANCE, SIMULTANEOUS, Game, State
from redqueen.learn.population import mixture_policy
from redqueen.measure.statistics import rate_with_interval
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import exploitability

_ANSWER = {
    "plain": ("{}",),
    "spiral": ("\\boxed{{{}}}", "\\boxed{{ {} }}"),
    "mars": ("<answer>{}</answer>", "<answer> {} </answer>"),
}
"""Each style's answer formats: as written, and with the answer set off by spaces (how a
word-level tokenizer's replies decode)."""


def information_states(
    game: Game, *, max_nodes: int = 1_000_000
) -> dict[tuple[int, Hashable], State]:
    """One state for each ``(player, information_state_key)`` where that player moves,
    found by walking every chance outcome and action (small games only: a game with more
    than ``max_nodes`` histories raises :class:`~redqueen.errors.InvalidParameterError`)."""
    if game.spec.text_actions:
        raise InvalidParameterError(f"{game.id} is text-only: it has no enumerable moves")
    found: dict[tuple[int, Hashable], State] = {}
    stack = [game.new_initial_state()]
    visited = 0
    while stack:
        state = stack.pop()
        visited += 1
        if visited > max_nodes:
            raise InvalidParameterError(
                f"{game.id} has more than {max_nodes} histories: too large to enumerate"
            )
        if state.is_terminal():
            continue
        player = state.current_player()
        if player == CHANCE:
            actions = [a for a, _ in state.chance_outcomes()]
        elif player == SIMULTANEOUS:
            raise InvalidParameterError(
                f"{game.id} has simultaneous moves; the induced policy covers sequential games"
            )
        else:
            found.setdefault((player, state.information_state_key(player)), state)
            actions = state.legal_actions()
        for a in actions:
            child = state.clone()
            child.apply_action(a)
            stack.append(child)
    return found


def _prompt_and_answers(
    prompter: Any, game: Game, state: State, player: int
) -> tuple[list[int], list[int], list[list[list[int]]]]:
    """The prompt, the legal actions, and per action the token ids of each of its
    spellings (see the module docstring)."""
    tok = prompter.tokenizer
    legal = state.legal_actions(player)
    moves = [state.action_text(a, player) for a in legal]
    user = {"role": "user", "content": prompter.user_text(state.observation_text(player), moves)}
    prompt = prompter.prompt_ids(game, [user])
    # the plain style reads the first words of a reply as the move (what follows is
    # ignored), so a move's probability is that of its words; the other styles need the
    # whole answer, then the end of the reply
    plain = prompter.style == "plain"
    end = [] if tok.eos_token_id is None or plain else [int(tok.eos_token_id)]
    named = list(zip(legal, moves, strict=True))
    answers = []
    for action, move in named:
        spellings: list[list[int]] = []
        for text in (
            t.format(w) for t in _ANSWER[prompter.style] for w in (move, f"{move}.", str(action))
        ):
            ids = list(tok.encode(text, add_special_tokens=False))
            if prompter.parse(prompter.answer_text(ids), named) != action:
                continue  # an unknown word, or a spelling the parser reads otherwise
            ids += end
            if any(ids[: len(s)] == s if plain else ids == s for s in spellings):
                continue  # already counted
            spellings = [s for s in spellings if not (plain and s[: len(ids)] == ids)]
            spellings.append(ids)
        answers.append(spellings)
    return prompt, legal, answers


def move_probabilities(
    model: Any,
    prompter: Any,
    game: Game,
    positions: Sequence[tuple[State, int]],
    *,
    batch_size: int = 64,
) -> list[dict[int, float]]:
    """At each ``(state, player)``, the model's probability of each legal move, from the
    logprobs of the move texts at temperature 1, normalised over the legal moves."""
    import torch

    from redqueen.learn.llm.generators import sequence_logprobs

    rows: list[tuple[int, int, list[int], list[int]]] = []
    for index, (state, player) in enumerate(positions):
        prompt, legal, answers = _prompt_and_answers(prompter, game, state, player)
        for a, spellings in zip(legal, answers, strict=True):
            rows += [(index, a, prompt, ids) for ids in spellings]
    scores: list[float] = []
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            logprobs = sequence_logprobs(model, [r[2] for r in chunk], [r[3] for r in chunk], 1.0)
            scores += [float(lp.sum()) for lp in logprobs]
    # per move, log sum over its spellings of their probabilities (-inf: it has none)
    logits: list[dict[int, list[float]]] = [
        {a: [] for a in state.legal_actions(player)} for state, player in positions
    ]
    for (index, action, _, _), score in zip(rows, scores, strict=True):
        logits[index][action].append(score)
    out = []
    for by_action in logits:
        values = np.array([np.logaddexp.reduce(v) if v else -np.inf for v in by_action.values()])
        if np.isneginf(values).all():  # no legal answer can be written: uniform
            values = np.zeros(len(values))
        p = np.exp(values - values.max())
        p /= p.sum()
        out.append(dict(zip(by_action, p.tolist(), strict=True)))
    return out


def induced_policy(model: Any, prompter: Any, game: Game, *, batch_size: int = 64) -> TabularPolicy:
    """The model's policy at every information state (see the module docstring), scored
    at temperature 1."""
    states = information_states(game)
    positions = [(state, player) for (player, _), state in states.items()]
    probabilities = move_probabilities(model, prompter, game, positions, batch_size=batch_size)
    return TabularPolicy(dict(zip(states, probabilities, strict=True)))


@dataclass(frozen=True)
class SampledPolicy:
    """A policy estimated by sampling replies: the empirical move frequencies among legal
    replies (uniform where none was legal) and the share of replies that were not legal."""

    policy: TabularPolicy
    replies: int
    invalid: int
    counts: dict[tuple[int, Hashable], dict[int, int]] = field(default_factory=dict)
    """Per information state, the legal replies counted per move (what
    :func:`sampled_exploitability` resamples)."""


def _tabulate(
    states: dict[tuple[int, Hashable], State], counts: dict[tuple[int, Hashable], dict[int, int]]
) -> TabularPolicy:
    """Move frequencies among the legal replies at each information state (uniform where
    there was none)."""
    table: dict[tuple[int, Hashable], dict[int, float]] = {}
    for infoset, state in states.items():
        legal = state.legal_actions()
        total = sum(counts[infoset].values())
        table[infoset] = {
            a: counts[infoset].get(a, 0) / total if total else 1 / len(legal) for a in legal
        }
    return TabularPolicy(table)


def sampled_policy(
    generator: Any,
    prompter: Any,
    game: Game,
    *,
    samples: int,
    max_new_tokens: int,
    temperature: float = 1.0,
    seed: int = 0,
    stop_ids: Sequence[int] = (),
) -> SampledPolicy:
    """Estimate the policy of any generator (an API model's too) by ``samples`` replies
    at each information state."""
    if samples < 1:
        raise InvalidParameterError(f"samples {samples}; allowed: at least 1")
    states = information_states(game)
    prompts, owners = [], []
    for infoset, state in states.items():
        prompt, _, _ = _prompt_and_answers(prompter, game, state, infoset[0])
        prompts += [prompt] * samples
        owners += [infoset] * samples
    replies = generator.generate(
        prompts,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        seed=seed,
        stop_ids=stop_ids,
    )
    counts: dict[tuple[int, Hashable], dict[int, int]] = {k: {} for k in states}
    invalid = 0
    for infoset, reply in zip(owners, replies, strict=True):
        state = states[infoset]
        moves = [(a, state.action_text(a, infoset[0])) for a in state.legal_actions()]
        action = prompter.parse(prompter.answer_text(reply.completion_ids), moves)
        if action is None:
            invalid += 1
        else:
            counts[infoset][action] = counts[infoset].get(action, 0) + 1
    return SampledPolicy(_tabulate(states, counts), len(replies), invalid, counts)


def _observation(game: Game, state: State, player: int, rng: np.random.Generator) -> Observation:
    """What a match would show ``player`` at ``state``: its view, legal moves and its own
    earlier decisions, replayed from the root (as :mod:`redqueen.play.match` shows them)."""
    seen: list[tuple[str, int | str]] = []
    walk = game.new_initial_state()
    for step in state.history():
        if step.player == player:
            seen.append((walk.observation_text(player), step.action))  # type: ignore[arg-type]
        walk.apply_action(step.action)  # type: ignore[arg-type]
    legal = state.legal_actions(player)
    perfect = game.spec.perfect_information
    return Observation(
        game=game,
        player=player,
        legal_actions=tuple(legal),
        legal_action_texts=tuple(state.action_text(a, player) for a in legal),
        text=state.observation_text(player),
        information_state_key=state.information_state_key(player),
        history=tuple(seen),
        rng=rng,
        state=state.clone() if perfect else None,
        parser=partial(state.parse_action, player=player),
    )


def agent_sampled_policy(agent: Agent, game: Game, *, samples: int, seed: int = 0) -> SampledPolicy:
    """Estimate the policy of any agent by asking it for ``samples`` moves at every
    information state, shown the observation a match would show it (its own earlier
    decisions included). An API model plays through its
    :class:`~redqueen.agents.llm.LLMAgent`, with its retries, cache and costs. Every reply
    counts: the ones it could not make legal (the move's ``invalid_moves``) are
    ``invalid``, a forfeit adds no move, and a move played after failed replies (a
    re-ask's answer, or the agent's fallback) counts as the move it played, as in a
    match."""
    if samples < 1:
        raise InvalidParameterError(f"samples {samples}; allowed: at least 1")
    agent.check_game(game)
    states = information_states(game)
    counts: dict[tuple[int, Hashable], dict[int, int]] = {k: {} for k in states}
    invalid = replies = 0
    for k, (infoset, state) in enumerate(sorted(states.items(), key=lambda item: repr(item[0]))):
        shown = _observation(game, state, infoset[0], np.random.default_rng([seed, k]))
        for _ in range(samples):
            agent.reset()
            # a fresh copy of the state for a search agent (perfect information only)
            obs = shown if shown.state is None else replace(shown, state=state.clone())
            answer = agent.act(obs)
            failed = int(getattr(answer, "invalid_moves", 0))
            invalid += failed
            replies += failed
            if getattr(answer, "forfeit", False):
                if not failed:  # a forfeit with no reply counted: one that was not legal
                    invalid += 1
                    replies += 1
                continue
            replies += 1
            action = int(answer)
            if action not in shown.legal_actions:
                invalid += 1
                continue
            counts[infoset][action] = counts[infoset].get(action, 0) + 1
    return SampledPolicy(_tabulate(states, counts), replies, invalid, counts)


def sampled_exploitability(
    game: Game,
    sampled: SampledPolicy,
    *,
    resamples: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """The exact exploitability of a sampled policy, with a bootstrap interval for the
    sampling: ``resamples`` times, every information state's legal replies are drawn
    again (multinomially, from its own frequencies) and the exploitability recomputed;
    the interval is their ``confidence`` percentile range. Also the share of replies that
    were not legal, with its 95% Wilson interval. An information state with no legal
    reply stays uniform in every resample, so the interval does not cover what such a
    state would have played: ``invalid_rate`` says how much that is."""
    if not 0 < confidence < 1:
        raise InvalidParameterError(f"confidence {confidence}; allowed: between 0 and 1")
    if resamples < 2:
        raise InvalidParameterError(f"resamples {resamples}; allowed: at least 2")
    if not sampled.counts:
        raise InvalidParameterError("the sampled policy keeps no counts to resample")
    states = information_states(game)
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        drawn: dict[tuple[int, Hashable], dict[int, int]] = {}
        for infoset, counted in sampled.counts.items():
            total = sum(counted.values())
            moves = sorted(counted)
            again: list[int] = (
                rng.multinomial(total, [counted[a] / total for a in moves]).tolist()
                if total
                else []
            )
            drawn[infoset] = {a: int(n) for a, n in zip(moves, again, strict=True)}
        values.append(policy_exploitability(game, _tabulate(states, drawn)))
    tail = (1 - confidence) / 2
    invalid = rate_with_interval(sampled.invalid, max(sampled.replies, 1))
    return {
        "exploitability": policy_exploitability(game, sampled.policy),
        "low": float(np.quantile(values, tail)),
        "high": float(np.quantile(values, 1 - tail)),
        "invalid_rate": float(invalid["rate"]),
        "invalid_low": float(invalid["low"]),
        "invalid_high": float(invalid["high"]),
    }


def policy_exploitability(game: Game, policy: TabularPolicy) -> float:
    """The exact exploitability of ``policy`` (:func:`redqueen.solve.exploitability`)."""
    return float(exploitability(game, policy))


def checkpoint_mixture(
    game: Game, policies: Sequence[TabularPolicy], weights: Sequence[float] | None = None
) -> TabularPolicy:
    """The behaviour policy that plays like picking one checkpoint's policy at the start
    of each game (uniformly by default): the reach-weighted mixture of
    :func:`redqueen.learn.population.mixture_policy`, what fictitious play's average is."""
    if not policies:
        raise InvalidParameterError("a mixture needs at least one policy")
    w = np.ones(len(policies)) / len(policies) if weights is None else np.asarray(weights)
    return mixture_policy(game, policies, w)
