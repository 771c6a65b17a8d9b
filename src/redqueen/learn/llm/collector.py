"""Self-play games for LLM training: many games at once, every pending decision batched.

A :class:`Protocol` says how a game becomes prompts and rewards: the prompt style, what an
invalid reply costs, what a draw and a valid move pay, and when a game is cut short. Its
presets are the published ones:

- ``spiral`` (SPIRAL, spiral-rl/spiral ``train_spiral.py``): one prompt per decision (the
  rules, the observation with the history inside it, the legal moves) answered in
  ``\\boxed{}``; an invalid reply ends the game at once, the offender scores -1.5 and every
  other seat +0.5 (L319-325); a game cut at 50 turns is a 0/0 draw (L327-338).
- ``mars`` (MARS, thu-nics/MARS ``roll/``): the seat's chat grows turn by turn (system,
  user, assistant, user, ...), answers between ``<answer>`` tags after free thinking;
  +0.05 per valid move, +0.1 to every seat on a draw, an invalid reply is an immediate
  loss of -1 - 10 and pays the others nothing. These are MARS's tic-tac-toe and connect
  four rewards (``roll/agentic/env/tictactoe/env.py`` L125-126 and L226-246: those games
  pay only at the end, so the ``0.1 if reward == 0`` line that pays the last step is
  what pays a draw). MARS's rules differ by game, so one preset cannot match them all:
  its poker and Hanabi rules are the next two presets, and :attr:`Protocol.games` gives
  each game of a run its own.
- ``mars_poker`` (MARS's Kuhn and Leduc poker, ``roll/agentic/env/kuhn_poker/env.py``
  and ``leduc_poker/env.py``): the ``mars`` prompts, +0.05 per valid move and the game's
  return at the end, with no +0.1 line (a Leduc split pot pays 0); an invalid or
  over-long reply ends the game, pays the partner 0 and costs the offender
  -(chips it has put in) - 10 (``get_losing_state``: kuhn L303-323, leduc L380-400;
  :attr:`Protocol.invalid_relative_to_stake`). MARS's chips count the ante: Kuhn's
  ``self.bets`` starts at [1, 1] and adds each bet (L85, L153), Leduc's is 100 less the
  seat's money, OpenSpiel's stack less the ante and every call and raise (L99, L170).
  A Kuhn seat never moves again after it has bet, so there an invalid reply always
  costs -(1) - 10 = -11; in Leduc it costs more the more the seat has called and raised.
- ``mars_hanabi`` (MARS's Hanabi, ``roll/agentic/env/hanabi/env.py`` and
  ``roll/agentic/rollout/env_manager.py``, as ``examples/hanabi/
  agentic_val_hanabi_selfplay.yaml`` trains it): the ``mars`` prompts with points paid
  when they are scored. OpenSpiel's ``state.rewards()`` after each move and the chance
  that follows it (env.py L135-152) is the change in the score, so a scoring play pays
  +1 and losing the last life, which zeroes the score, pays minus the points so far;
  ``env_manager._log_env_state`` (L721-775) adds a step's reward to the mover's current
  turn and to the partner's latest turn, and to no turn of a partner that has not moved
  yet (L767), as :attr:`Protocol.step_rewards` does. At the end of a game a step reward
  of 0 becomes +0.1 for both (env.py L150-151, ``len(info) > 1`` only when terminal:
  :attr:`Protocol.terminal_zero_reward`). An invalid or over-long reply scores
  ``-(own score so far) - 10`` for the offender and 0 for the partner and ends the game
  (``get_losing_state``, L296-334: :attr:`Protocol.invalid_relative_to_return`), so
  the offender's turn rewards add up to -10 plus its format bonuses. +0.05 per valid
  move (``format_penalty``, env_manager L306-312); 50 moves at most
  (``max_actions_per_traj``: a game that reaches it ends as it stands, with no end
  bonus, L732-734); sampling temperature 0.6 (the yaml's; not its top-p 0.99 and top-k
  100: the learner's logprobs are those of ``softmax(logits / T)``).

  Neither MARS preset carries over MARS's length penalty (``compute_length_penalty``,
  env_manager L275-293: -0.5 (L - 2048) / 2037 on a reply of L > 2048 tokens) or its
  loss for a chat that comes within 1,000 tokens of its 32,768-token context (L476-477).
- ``plain``: the observation and the legal moves, answered with the move's words first
  (the longest run of first words that names a legal move is the answer; what follows is
  ignored); for the tiny word-level models of :mod:`redqueen.learn.llm.tiny` (laptops
  and tests), whose vocabulary holds no ``\\boxed{}``.

:class:`Collector` plays ``n`` games at once. Each seat is played by a policy version (a
generator; trained or frozen) or by any redqueen agent (scripted, learned, an API
model's agent). At every tick it gathers the pending decision of every game and seat
whose policy must answer, sends each policy's prompts to its generator in one batch
(one batch for all of them where the versions are LoRA adapters of one vLLM engine; no
lock-step: games need not have the same player to move, unlike SPIRAL's vectorised
environments), applies the answers, samples chance and lets agents move. A decision of
a trained seat becomes a :class:`~redqueen.learn.llm.records.TurnSample` with the exact
token ids the generator sampled and their logprobs; the seat's per-turn rewards become a
:class:`~redqueen.learn.llm.advantages.SeatTrace` keyed by (game, seat).

Randomness is explicit: episode ``e`` of a collection seeded ``s`` draws its chance
outcomes and its agents' moves from ``SeedSequence((s, e))``, and each reply of seat ``p``
is sampled from its own stream, ``SeedSequence((s, e, p, k))`` for its ``k``-th reply. So a
game does not depend on which other games share its batches: the same games split
between several collectors (Ray actors) are the games one collector plays. With
``group_size`` ``g``, episode ``e`` draws its chance outcomes and its agents' moves from
the stream of episode ``e - e mod g`` instead: the ``g`` games of a group start alike
(same deal, same opponent moves while the replies agree) and differ by the replies
sampled, the exchangeable attempts that GRPO compares.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from typing import Protocol as TypingProtocol

import numpy as np

from redqueen.agents.core import Agent, Observation
from redqueen.agents.llm.parsing import clean_answer, extract_answer, parse_reply
from redqueen.agents.llm.prompts import decision_message, system_prompt
from redqueen.errors import IllegalActionError, InvalidParameterError, ParseActionError
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    Game,
    State,
    match_action_text,
    sample_chance_outcome,
)
from redqueen.learn.llm.advantages import SeatTrace
from redqueen.learn.llm.generators import Generation, Generator
from redqueen.learn.llm.records import TurnSample

PROMPT_STYLES = ("plain", "spiral", "mars")


@dataclass(frozen=True)
class Protocol:
    """How games become prompts and rewards (see the module docstring for the presets)."""

    prompt_style: str = "spiral"
    invalid_reward: float = -1.5
    """The offender's reward when an invalid reply ends the game."""
    invalid_other: float = 0.5
    """Every other seat's reward when an invalid reply ends the game."""
    invalid_relative_to_return: bool = False
    """The offender's reward for an invalid reply is ``invalid_reward`` minus its own
    return so far (``State.returns()``), so that with ``step_rewards`` its rewards add up
    to ``invalid_reward`` plus the per-turn shaping (MARS's Hanabi: -(score so far) - 10)."""
    invalid_relative_to_stake: bool = False
    """The offender's reward for an invalid reply is ``invalid_reward`` minus the chips it
    has put into the pot, the ante included, read from the state's ``chips_in(seat)``
    (Kuhn and Leduc poker define it; a game without it is refused): MARS's poker,
    -(chips bet so far) - 10."""
    draw_reward: float = 0.0
    """Added to every seat's final reward when the game ends with all returns equal."""
    terminal_zero_reward: float = 0.0
    """Paid instead of 0 to a seat whose reward for the last step is 0 when the game ends
    by its rules (not cut, no invalid reply): MARS's ``0.1 if reward == 0``. With
    ``step_rewards`` the last step's reward is the change in the seat's return over the
    last move; without, it is the whole return (in a zero-sum game: 0 exactly on a draw)."""
    step_rewards: bool = False
    """Pay returns as they change: after every move (and the chance that follows it),
    the change in each seat's ``State.returns()`` is added to that seat's latest turn,
    so points are paid on the turn they are scored; a change before a seat's first turn
    is paid to none of its turns (as MARS does). Without it, a seat's return is paid on
    its last turn when the game ends."""
    valid_move_bonus: float = 0.0
    """Added to the reward of each turn whose reply was a legal move."""
    length_penalty: float = 0.0
    """Subtracted from a turn's reward, times its completion length over max_new_tokens."""
    max_turns: int = 50
    """Decisions (all seats together) after which a game is cut: without step rewards a
    draw with all rewards 0; with them the rewards paid so far stand, with no end bonus."""
    error_allowance: int = 0
    """Invalid replies a seat may make in one game before the invalid-reply rule applies;
    each is asked again (and, as a trained seat, is a sample with the turn's reward 0)."""
    max_new_tokens: int = 4096
    temperature: float = 1.0
    games: Mapping[str, Protocol] = field(default_factory=dict, hash=False)
    """The protocols of particular games, by game id (MARS's rewards differ by game); every
    other game follows this one. They must agree with it on :data:`SHARED_FIELDS`: one
    prompter (and one tiny model's vocabulary) serves every game, each generator call
    batches decisions of many games at one temperature and length limit, and the learner
    scores every sample at that temperature and divides by that limit."""

    def __post_init__(self) -> None:
        if self.prompt_style not in PROMPT_STYLES:
            raise InvalidParameterError(
                f"prompt_style {self.prompt_style!r}; allowed: {', '.join(PROMPT_STYLES)}"
            )
        if self.invalid_relative_to_return and self.invalid_relative_to_stake:
            raise InvalidParameterError(
                "invalid_relative_to_return and invalid_relative_to_stake: choose one"
            )
        object.__setattr__(self, "games", dict(self.games))  # a copy; picklable for Ray
        for game_id, rules in self.games.items():
            if not isinstance(rules, Protocol) or rules.games:
                raise InvalidParameterError(
                    f"games[{game_id!r}] must be a Protocol with no games of its own"
                )
            for name in SHARED_FIELDS:
                if getattr(rules, name) != getattr(self, name):
                    raise InvalidParameterError(
                        f"the protocol of {game_id} has {name} {getattr(rules, name)!r}, the "
                        f"others {getattr(self, name)!r}: the games of one run share "
                        f"{', '.join(SHARED_FIELDS)} (set it once for all of them)"
                    )
        if self.max_turns < 1 or self.max_new_tokens < 1 or self.error_allowance < 0:
            raise InvalidParameterError(
                "max_turns and max_new_tokens must be at least 1 and error_allowance at least 0"
            )
        if self.temperature < 0:
            raise InvalidParameterError(f"temperature {self.temperature}; allowed: >= 0")

    def for_game(self, game_id: str) -> Protocol:
        """The protocol of the game ``game_id``: its own in :attr:`games`, else this one."""
        return self.games.get(game_id, self)

    def check_game(self, game: Game) -> None:
        """Raise a clear error when ``game`` cannot pay the rewards of its protocol."""
        if not self.for_game(game.id).invalid_relative_to_stake:
            return
        if not callable(getattr(game.new_initial_state(), "chips_in", None)):
            raise InvalidParameterError(
                f"the protocol of {game.id} charges an invalid reply the chips the seat has "
                f"put in (invalid_relative_to_stake), but {game.id} counts no chips: use it "
                "with a game whose states have chips_in (kuhn_poker, leduc_poker)"
            )


SHARED_FIELDS = ("prompt_style", "temperature", "max_new_tokens")
"""The fields every game of one collection has in common (see :attr:`Protocol.games`)."""

_MARS = Protocol(
    prompt_style="mars",
    invalid_reward=-11.0,
    invalid_other=0.0,
    draw_reward=0.1,
    valid_move_bonus=0.05,
)

PRESETS: dict[str, Protocol] = {
    "spiral": Protocol(),
    "mars": _MARS,
    "plain": Protocol(prompt_style="plain", max_new_tokens=4),
    "mars_hanabi": Protocol(
        prompt_style="mars",
        invalid_reward=-10.0,
        invalid_other=0.0,
        invalid_relative_to_return=True,
        terminal_zero_reward=0.1,
        step_rewards=True,
        valid_move_bonus=0.05,
        max_turns=50,
        temperature=0.6,
    ),
    "mars_poker": dataclasses.replace(
        _MARS, invalid_reward=-10.0, invalid_relative_to_stake=True, draw_reward=0.0
    ),
}
"""SPIRAL's and MARS's protocols, MARS's poker and Hanabi protocols, and the plain one of
tiny models."""


def protocol(preset: str = "spiral", **overrides: Any) -> Protocol:
    """The protocol ``preset`` with some fields changed; names are checked."""
    if preset not in PRESETS:
        raise InvalidParameterError(f"protocol preset {preset!r}; allowed: {', '.join(PRESETS)}")
    fields = [f.name for f in dataclasses.fields(Protocol)]
    unknown = [k for k in overrides if k not in fields]
    if unknown:
        raise InvalidParameterError(
            f"unknown protocol field(s) {', '.join(unknown)}; allowed: {', '.join(fields)}"
        )
    return dataclasses.replace(PRESETS[preset], **overrides)


def protocol_from_config(values: Mapping[str, Any]) -> Protocol:
    """The protocol a recipe's ``protocol:`` mapping describes: ``preset`` (default
    ``spiral``) and field overrides for every game, and under ``games`` a mapping from game
    id to the same for that game alone. A game's protocol is its own preset (or the
    common one) with the common overrides, then its own::

        {preset: mars, temperature: 0.6, games: {kuhn_poker: {preset: mars_poker}}}
    """
    common = dict(values)
    preset = str(common.pop("preset", "spiral"))
    entries = common.pop("games", None) or {}
    if not isinstance(entries, Mapping):
        raise InvalidParameterError(
            "protocol.games maps game ids to {preset: ..., field: value}; got "
            f"{type(entries).__name__}"
        )
    games = {}
    for game_id, entry in entries.items():
        if not isinstance(entry, Mapping):
            raise InvalidParameterError(
                f"protocol.games.{game_id} must be a mapping ({{preset: ..., field: value}}); "
                f"got {entry!r}"
            )
        own = dict(entry)
        if "games" in own:
            raise InvalidParameterError(f"protocol.games.{game_id} cannot have games of its own")
        try:
            games[str(game_id)] = protocol(str(own.pop("preset", preset)), **{**common, **own})
        except InvalidParameterError as err:
            raise InvalidParameterError(f"protocol.games.{game_id}: {err}") from None
    return protocol(preset, **common, games=games)


class Tokenizer(TypingProtocol):
    """What the collector needs of a Hugging Face tokenizer."""

    eos_token_id: int | None
    bos_token_id: int | None

    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = ...) -> str: ...


class Prompter:
    """Prompts and answers in one style, through one tokenizer."""

    def __init__(self, tokenizer: Any, style: str) -> None:
        if style not in PROMPT_STYLES:
            raise InvalidParameterError(
                f"prompt_style {style!r}; allowed: {', '.join(PROMPT_STYLES)}"
            )
        self.tokenizer = tokenizer
        self.style = style
        self.answer_format = {"plain": "plain", "spiral": "boxed", "mars": "tags"}[style]

    def user_text(self, observation: str, moves: Sequence[str]) -> str:
        if self.style == "plain":
            legal = " ".join(moves) if moves else "any"
            return f"{observation}\nLegal moves: {legal}\nMove:"
        return decision_message(observation, moves, self.answer_format)

    def prompt_ids(self, game: Game, chat: Sequence[Mapping[str, str]]) -> list[int]:
        """The token ids of a chat that ends with a user message."""
        tok = self.tokenizer
        if self.style == "plain":
            bos = [] if tok.bos_token_id is None else [int(tok.bos_token_id)]
            return bos + list(tok.encode(chat[-1]["content"], add_special_tokens=False))
        rules = system_prompt(
            game.rules_text(), self.answer_format, text_moves=game.spec.text_actions
        )
        if self.style == "mars":
            rules += "\n\nThink first inside <think></think>, then answer."
        messages = [{"role": "system", "content": rules}, *chat]
        if getattr(tok, "chat_template", None):
            ids = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
            if isinstance(ids, Mapping):  # newer transformers return a BatchEncoding
                ids = ids["input_ids"]
            return [int(i) for i in ids]
        text = "\n\n".join(f"{m['role']}: {m['content']}" for m in messages) + "\n\nassistant:"
        return list(tok.encode(text, add_special_tokens=True))

    def answer_text(self, completion_ids: Sequence[int]) -> str:
        return str(self.tokenizer.decode(list(completion_ids), skip_special_tokens=True))

    def parse(self, text: str, moves: Sequence[tuple[int, str]]) -> int | None:
        """The legal action the reply names, or None."""
        if self.style == "plain":
            words = clean_answer(text).split()
            for k in range(len(words), 0, -1):  # the longest run of first words that is a move
                try:
                    return match_action_text(" ".join(words[:k]), moves)
                except ParseActionError:
                    continue
            return None
        return parse_reply(text, self.answer_format, moves).action

    def answer(self, text: str) -> str | None:
        """The move text of a reply in a text-only game (None: no answer found)."""
        if self.style == "plain":
            return clean_answer(text) or None
        found = extract_answer(text, self.answer_format)
        return None if found is None else clean_answer(found)


@dataclass(frozen=True)
class PolicySeat:
    """A seat played by a policy version through its generator."""

    version: int
    trained: bool = True


SeatPlayer = PolicySeat | Agent


@dataclass
class EpisodeRecord:
    """One finished game: who played, the final rewards, and how it ended."""

    game: str
    episode: int
    players: list[str]
    rewards: list[float]
    """Each seat's final reward under the protocol, per-turn shaping aside: the game's
    return with the draw and end rewards, or the invalid-reply rewards (with step rewards:
    plus the return when the game stopped). A trained seat's turn rewards add up to this
    plus its shaping, less what it was scored before its first turn (step rewards)."""
    returns: list[float]
    """The game's own returns (zero when an invalid reply or the turn limit ended it)."""
    invalid_by: int | None
    truncated: bool
    decisions: int
    valid_moves: list[int]
    invalid_moves: list[int]
    samples: list[TurnSample] = field(default_factory=list)
    """Every decision of the seats the trained policy played."""
    traces: list[SeatTrace] = field(default_factory=list)
    """One per seat the learner trains on: those seats, less any the game keeps
    untrained in this play (:meth:`~redqueen.games.core.Game.trains_seat`)."""
    memory: Any = None
    """What the finished game leaves for the next batch (:meth:`Game.memory`; None when
    it left nothing or an invalid reply or the turn limit stopped it)."""

    def outcome(self, seat: int) -> str:
        """``win``, ``draw``, ``loss`` or ``invalid`` (this seat's reply ended the game)."""
        if self.invalid_by == seat:
            return "invalid"
        r = self.rewards
        if all(abs(x - r[seat]) < 1e-12 for x in r):
            return "draw"
        return "win" if r[seat] > max(x for i, x in enumerate(r) if i != seat) else "loss"

    def to_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "episode": self.episode,
            "players": self.players,
            "rewards": self.rewards,
            "returns": self.returns,
            "invalid_by": self.invalid_by,
            "truncated": self.truncated,
            "decisions": self.decisions,
            "valid_moves": self.valid_moves,
            "invalid_moves": self.invalid_moves,
        }


@dataclass
class _Seat:
    turn_rewards: list[float] = field(default_factory=list)
    samples: list[TurnSample] = field(default_factory=list)
    strikes: int = 0
    valid: int = 0
    invalid: int = 0
    chat: list[dict[str, str]] = field(default_factory=list)
    seen: list[tuple[str, int | str]] = field(default_factory=list)


class _Game:
    def __init__(
        self,
        game: Game,
        players: Sequence[SeatPlayer],
        episode: int,
        seed: int,
        protocol: Protocol,
        group_size: int = 1,
    ) -> None:
        if len(players) != game.num_players:
            raise InvalidParameterError(
                f"{game.id} has {game.num_players} seats; {len(players)} players were given"
            )
        self.game = game
        self.protocol = protocol.for_game(game.id)
        """This game's own protocol."""
        self.players = list(players)
        self.episode = episode
        start = episode - episode % group_size  # a group's games share their streams
        streams = np.random.SeedSequence((seed, start)).spawn(game.num_players + 1)
        self.chance_rng = np.random.default_rng(streams[0])
        self.seat_rngs = [np.random.default_rng(s) for s in streams[1:]]
        self.state: State = game.new_initial_state()
        self.seats = [_Seat() for _ in players]
        self.decisions = 0
        self.invalid_by: int | None = None
        self.truncated = False
        self.pending: dict[int, int | str] = {}
        """Answers of a simultaneous node gathered so far."""
        self.paid = [0.0] * game.num_players
        """Each seat's return when step rewards were last paid."""
        self.paid_at = -1
        """The state's move number then."""
        self.last_step = [0.0] * game.num_players
        """The change in each seat's return over the last move (step rewards)."""
        for agent in {id(p): p for p in players if isinstance(p, Agent)}.values():
            agent.check_game(game)
            agent.reset()

    @property
    def done(self) -> bool:
        return self.invalid_by is not None or self.truncated or self.state.is_terminal()

    def movers(self) -> list[int]:
        player = self.state.current_player()
        if player == SIMULTANEOUS:
            return [p for p in range(self.game.num_players) if p not in self.pending]
        return [player]

    def moves(self, seat: int) -> list[tuple[int, str]]:
        if self.game.spec.text_actions:
            return []
        return [(a, self.state.action_text(a, seat)) for a in self.state.legal_actions(seat)]

    def observation(self, seat: int) -> Observation:
        moves = self.moves(seat)
        perfect = self.game.spec.perfect_information
        return Observation(
            game=self.game,
            player=seat,
            legal_actions=tuple(a for a, _ in moves),
            legal_action_texts=tuple(t for _, t in moves),
            text=self.state.observation_text(seat),
            information_state_key=self.state.information_state_key(seat),
            history=tuple(self.seats[seat].seen),
            rng=self.seat_rngs[seat],
            state=self.state.clone() if perfect else None,
            parser=None if not moves else partial(self.state.parse_action, player=seat),
        )

    def play(self, seat: int, action: int | str, applied: State | None = None) -> None:
        """Apply one seat's legal answer (or hold it until every seat of a simultaneous
        node has answered). ``applied``: a copy of the state with the answer already
        applied, which replaces the state (a text move whose legality was checked by
        applying it: applying it twice would ask a judge twice)."""
        self.decisions += 1
        self.seats[seat].seen.append((self.state.observation_text(seat), action))
        if self.state.current_player() == SIMULTANEOUS:
            self.pending[seat] = action
            if len(self.pending) == self.game.num_players:
                joint = [int(self.pending[p]) for p in range(self.game.num_players)]
                self.pending = {}
                self.state.apply_joint_action(joint)
        elif applied is not None:
            self.state = applied
        elif isinstance(action, str):
            self.state.apply_text_action(action, seat)
        else:
            self.state.apply_action(action)

    def advance(self) -> None:
        """Chance nodes, then step rewards, then the turn limit. Called after every move;
        calling it again changes nothing."""
        protocol = self.protocol
        while not self.state.is_terminal() and self.state.current_player() == CHANCE:
            self.state.apply_action(sample_chance_outcome(self.state, self.chance_rng))
        if protocol.step_rewards:
            self.pay_steps()
        if not self.done and self.decisions >= protocol.max_turns:
            self.truncated = True

    def pay_steps(self) -> None:
        """Add the change in each seat's return since the last payment to the seat's
        latest turn (a seat with no turn yet is paid nothing: MARS, env_manager.py L767)."""
        if self.state.move_number == self.paid_at:
            return
        now = [float(r) for r in self.state.returns()]
        self.last_step = [r - before for r, before in zip(now, self.paid, strict=True)]
        self.paid, self.paid_at = now, self.state.move_number
        for seat, change in zip(self.seats, self.last_step, strict=True):
            if seat.turn_rewards:
                seat.turn_rewards[-1] += change


class Collector:
    """Plays games with policy versions and agents in their seats; see the module
    docstring. ``protocol`` pays each game by its own protocol
    (:meth:`Protocol.for_game`); ``generators`` maps each policy version to its
    generator; ``prompter`` writes every prompt (one tokenizer serves all versions)."""

    def __init__(
        self,
        protocol: Protocol,
        generators: Mapping[int, Generator],
        prompter: Prompter,
        *,
        stop_ids: Sequence[int] = (),
    ) -> None:
        self.protocol = protocol
        self.generators = dict(generators)
        self.prompter = prompter
        self.stop_ids = list(stop_ids)

    def play(
        self,
        games: Sequence[tuple[Game, Sequence[SeatPlayer]]],
        *,
        seed: int,
        first_episode: int = 0,
        group_size: int = 1,
    ) -> list[EpisodeRecord]:
        """Play each ``(game, players)`` once, all at the same time; episodes are numbered
        from ``first_episode``, and those in one group of ``group_size`` (see the module
        docstring) share their chance and agents' streams. Records come back in the order
        of ``games``."""
        if group_size < 1:
            raise InvalidParameterError(f"group_size must be at least 1; got {group_size}")
        checked = set()
        for game, players in games:
            if id(game) not in checked:
                self.protocol.check_game(game)
                checked.add(id(game))
            for p in players:
                if isinstance(p, PolicySeat) and p.version not in self.generators:
                    raise InvalidParameterError(
                        f"no generator for policy version {p.version}; known: "
                        f"{sorted(self.generators)}"
                    )
        running = [
            _Game(game, players, first_episode + k, seed, self.protocol, group_size)
            for k, (game, players) in enumerate(games)
        ]
        for g in running:
            g.advance()
        while True:
            asks: dict[int, list[tuple[_Game, int, list[int]]]] = {}
            for g in running:
                while not g.done:
                    movers = g.movers()
                    agent_moved = False
                    for seat in movers:
                        player = g.players[seat]
                        if isinstance(player, Agent):
                            self._agent_move(g, seat, player)
                            agent_moved = True
                            break
                    if agent_moved:
                        g.advance()
                        continue
                    for seat in movers:
                        player = g.players[seat]
                        assert isinstance(player, PolicySeat)
                        asks.setdefault(player.version, []).append((g, seat, self._prompt(g, seat)))
                    break
            if not asks:
                break
            for versions in self._calls(sorted(asks)):
                items = [(v, *item) for v in versions for item in asks[v]]
                prompts = [ids for _, _, _, ids in items]
                seeds = [
                    _decision_seed(seed, g.episode, seat, len(g.seats[seat].turn_rewards))
                    for _, g, seat, _ in items
                ]
                # the same for every game (SHARED_FIELDS)
                tokens, temperature = self.protocol.max_new_tokens, self.protocol.temperature
                first: Any = self.generators[versions[0]]
                if len(versions) > 1:  # views of one engine: one call serves every version
                    replies = first.generator.generate_mixed(
                        prompts,
                        [self.generators[v].version for v, _, _, _ in items],  # type: ignore[attr-defined]
                        max_new_tokens=tokens,
                        temperature=temperature,
                        seed=seeds,
                        stop_ids=self.stop_ids,
                    )
                else:
                    replies = first.generate(
                        prompts,
                        max_new_tokens=tokens,
                        temperature=temperature,
                        seed=seeds,
                        stop_ids=self.stop_ids,
                    )
                for (version, g, seat, prompt), reply in zip(items, replies, strict=True):
                    self._answer(g, seat, version, prompt, reply)
            for g in running:  # a game that has just ended is paid its last step too
                g.advance()
        return [self._record(g) for g in running]

    def _calls(self, versions: list[int]) -> list[list[int]]:
        """The versions asked in one generator call each: versions whose generators are
        views of one engine that serves many versions at once (``view.generator`` has
        ``generate_mixed``, ``view.version`` names the version: vLLM's LoRA adapters) share
        one call, so past versions and the current one are sampled in the same batch."""
        calls: list[list[int]] = []
        shared: dict[int, list[int]] = {}
        for version in versions:
            view = self.generators[version]
            engine = getattr(view, "generator", None)
            if hasattr(engine, "generate_mixed") and hasattr(view, "version"):
                if id(engine) not in shared:
                    shared[id(engine)] = []
                    calls.append(shared[id(engine)])
                shared[id(engine)].append(version)
            else:
                calls.append([version])
        return calls

    def _prompt(self, g: _Game, seat: int) -> list[int]:
        moves = [t for _, t in g.moves(seat)]
        user = {
            "role": "user",
            "content": self.prompter.user_text(g.state.observation_text(seat), moves),
        }
        chat = [*g.seats[seat].chat, user] if self.prompter.style == "mars" else [user]
        return self.prompter.prompt_ids(g.game, chat)

    def _agent_move(self, g: _Game, seat: int, agent: Agent) -> None:
        obs = g.observation(seat)
        answer = agent.act(obs)
        if isinstance(answer, str) and not g.game.spec.text_actions:
            answer = obs.parse(answer)
        if not g.game.spec.text_actions and answer not in obs.legal_actions:
            raise IllegalActionError(
                answer, seat, list(zip(obs.legal_actions, obs.legal_action_texts, strict=True))
            )
        g.play(seat, answer)

    def _answer(
        self, g: _Game, seat: int, version: int, prompt: list[int], reply: Generation
    ) -> None:
        protocol = g.protocol
        s = g.seats[seat]
        text = self.prompter.answer_text(reply.completion_ids)
        action: int | str | None
        if g.game.spec.text_actions:
            action = self.prompter.answer(text)
        else:
            action = self.prompter.parse(text, g.moves(seat))
        if (
            action is not None
            and reply.finish_reason == "length"
            and protocol.prompt_style != "plain"
        ):
            action = None  # an over-long reply is invalid (SPIRAL and MARS alike)
        legal = action is not None
        applied = None  # a text move is tried on a copy, which then becomes the state
        if legal and isinstance(action, str):
            applied = g.state.clone()
            try:
                applied.apply_text_action(action, seat)
            except IllegalActionError:
                legal = False
            # a game that judges replies itself (TextArena) counts a rejected one: it is an
            # invalid reply under the protocol, and the state before it stays
            if legal and g.game.judges_replies:
                legal = applied.invalid_moves()[seat] <= g.state.invalid_moves()[seat]
        player = g.players[seat]
        assert isinstance(player, PolicySeat)
        turn = len(s.turn_rewards)
        reward = protocol.valid_move_bonus if legal else 0.0
        reward -= protocol.length_penalty * len(reply.completion_ids) / protocol.max_new_tokens
        if player.trained:
            s.samples.append(
                TurnSample(
                    game=g.game.id,
                    episode=g.episode,
                    seat=seat,
                    role=seat,
                    turn=turn,
                    policy_version=version,
                    prompt_ids=list(prompt),
                    completion_ids=list(reply.completion_ids),
                    sampler_logprobs=[float(x) for x in reply.logprobs],
                    finish_reason=reply.finish_reason,
                    valid=legal,
                )
            )
        s.turn_rewards.append(reward)
        if protocol.prompt_style == "mars":
            s.chat.append(
                {
                    "role": "user",
                    "content": self.prompter.user_text(
                        g.state.observation_text(seat), [t for _, t in g.moves(seat)]
                    ),
                }
            )
            s.chat.append({"role": "assistant", "content": text})
        if legal:
            s.valid += 1
            assert action is not None
            g.play(seat, action, applied)
            return
        s.invalid += 1
        s.strikes += 1
        if s.strikes > protocol.error_allowance:
            g.invalid_by = seat

    def _record(self, g: _Game) -> EpisodeRecord:
        protocol = g.protocol
        n = g.game.num_players
        now = [float(r) for r in g.state.returns()]
        # ``paid``: what the turns were paid as the game went (step rewards);
        # ``end``: what the protocol pays on each seat's last turn now
        paid = now if protocol.step_rewards else [0.0] * n
        if g.invalid_by is not None:
            end = [protocol.invalid_other] * n
            end[g.invalid_by] = protocol.invalid_reward
            if protocol.invalid_relative_to_return:
                end[g.invalid_by] -= now[g.invalid_by]
            if protocol.invalid_relative_to_stake:  # the invalid reply moved no chips
                stake = g.state.chips_in(g.invalid_by)  # type: ignore[attr-defined]
                end[g.invalid_by] -= float(stake)
            returns = [0.0] * n
        elif g.truncated:
            end, returns = [0.0] * n, [0.0] * n
        else:
            returns = now
            # without step rewards the whole return is paid now: it is the last step's
            if protocol.step_rewards:
                end, last = [0.0] * n, g.last_step
            else:
                end, last = list(now), now
            zero = protocol.terminal_zero_reward
            end = [e + (zero if abs(x) < 1e-12 else 0.0) for e, x in zip(end, last, strict=True)]
            if all(abs(r - now[0]) < 1e-12 for r in now):
                end = [e + protocol.draw_reward for e in end]
        rewards = [a + b for a, b in zip(paid, end, strict=True)]
        finished = g.state.is_terminal()
        samples: list[TurnSample] = []
        traces: list[SeatTrace] = []
        for seat, s in enumerate(g.seats):
            player = g.players[seat]
            if not (isinstance(player, PolicySeat) and player.trained) or not s.turn_rewards:
                continue
            samples.extend(s.samples)
            if finished and not g.game.trains_seat(g.state, seat):
                continue  # played and counted, but the game's protocol keeps it untrained
            turn_rewards = list(s.turn_rewards)
            turn_rewards[-1] += end[seat]
            traces.append(SeatTrace(g.game.id, seat, turn_rewards))
        return EpisodeRecord(
            game=g.game.id,
            episode=g.episode,
            players=[_label(p) for p in g.players],
            rewards=rewards,
            returns=returns,
            invalid_by=g.invalid_by,
            truncated=g.truncated,
            decisions=g.decisions,
            valid_moves=[s.valid for s in g.seats],
            invalid_moves=[s.invalid for s in g.seats],
            samples=samples,
            traces=traces,
            memory=g.game.memory(g.state) if finished else None,
        )


def _decision_seed(seed: int, episode: int, seat: int, attempt: int) -> int:
    """The sampling seed of one reply: the collection's seed, the episode, the seat and
    the seat's reply number, so that a game is the same however games are batched."""
    return int(np.random.SeedSequence((seed, episode, seat, attempt)).generate_state(1)[0])


def _label(player: SeatPlayer) -> str:
    if isinstance(player, PolicySeat):
        return f"policy@{player.version}" + ("" if player.trained else " (frozen)")
    return player.spec().label()


def prompt_vocabulary(
    games: Sequence[Game], style: str = "plain", *, random_games: int = 200, seed: int = 0
) -> list[str]:
    """The whitespace-separated words of every prompt a game can show (all information
    states of a small game; else the prompts of ``random_games`` uniformly random games;
    for a text-only game, its first prompts and its rules) and of its moves: the
    vocabulary of a tiny word-level model for these games."""
    from redqueen.learn.llm.policy import information_states

    prompter = Prompter(None, style)
    texts: list[str] = []
    for game in games:
        try:
            states = (
                list(information_states(game).items()) if game.spec.max_game_length <= 40 else []
            )
        except InvalidParameterError:
            states = []
        if len(states) > 5000:
            states = []
        for (player, _), state in states:
            moves = [state.action_text(a, player) for a in state.legal_actions(player)]
            texts += [prompter.user_text(state.observation_text(player), moves), *moves]
        if states:
            continue
        rng = np.random.default_rng(seed)
        for _ in range(random_games):
            state = game.new_initial_state()
            while not state.is_terminal():
                player = state.current_player()
                if player == CHANCE:
                    state.apply_action(sample_chance_outcome(state, rng))
                    continue
                movers = range(game.num_players) if player == SIMULTANEOUS else [player]
                if game.spec.text_actions:  # no moves to draw: the first prompts, and the rules
                    texts += [prompter.user_text(state.observation_text(p), []) for p in movers]
                    texts.append(game.rules_text())
                    break
                joint = []
                for p in movers:
                    legal = state.legal_actions(p)
                    moves = [state.action_text(a, p) for a in legal]
                    texts += [prompter.user_text(state.observation_text(p), moves), *moves]
                    joint.append(int(legal[int(rng.integers(len(legal)))]))
                if player == SIMULTANEOUS:
                    state.apply_joint_action(joint)
                else:
                    state.apply_action(joint[0])
    if style == "mars":
        texts.append("<think> </think> <answer> </answer>")
    return sorted({w for t in texts for w in t.split()})
