"""Proximal Policy Optimization (PPO) on the batch engines: the RL oracle of redqueen.

Schulman, Wolski, Dhariwal, Radford & Klimov (2017), "Proximal Policy Optimization
Algorithms" (arXiv:1707.06347), written in the single-file style of CleanRL (Huang et
al. 2022, "CleanRL: High-quality Single-file Implementations of Deep Reinforcement
Learning Algorithms"; its ``ppo.py``): every hyperparameter lives in :class:`PPOConfig`
with its default and meaning, and the loop reads top to bottom. Action masking follows
Huang & Ontañón (2022), "A Closer Look at Invalid Action Masking in Policy Gradient
Algorithms": the logits of illegal actions are set to -inf before the softmax, so they
get probability 0, contribute nothing to the entropy and receive no gradient.

**Two-player games, one learner.** The learner plays ``num_envs`` games at once in a
batch engine (:mod:`redqueen.games.batch`), seat ``(env + rollout) % 2`` in each, against
an opponent drawn per game from a list of frozen policies with given weights: the
newest snapshot (naive self-play), a uniform draw over past snapshots (fictitious
self-play), any sampler of :mod:`redqueen.learn.population`. So one trainer serves
self-play, fictitious self-play and PBT. A rollout plays every game of the batch to its
end; the learner's transitions are its own decisions, and the reward of a decision is
the change in its return until its next decision (the final return at the end; the
stage payoffs, round by round, in a repeated game). Advantages are GAE(lambda) (Schulman
et al. 2016) along each game's decisions.

**Features.** A policy sees a fixed-size vector built by a game's encoder, from the batch
engine's arrays while training and from the scalar observation's information-state key
while playing matches (:class:`PPOAgent`); tests check that both give the same vector
in every state. Board games: the mover's cells and the opponent's cells; poker: seat,
own card, public card (Leduc), and the public betting node; repeated matrix games:
seat, the executed joint actions of the last :data:`REPEATED_MEMORY` rounds, and the
share of rounds played.

**Randomness.** Everything is drawn from one NumPy Generator (the seed of the trainer)
and torch runs on the CPU, so a run is repeatable for a seed and a thread count.

torch is imported only here (and by the modules built on this one): ``import redqueen``
never needs it.
"""

from __future__ import annotations

import copy
import dataclasses
import io
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.random_agent import RandomAgent
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.batch import make_batch
from redqueen.games.batch.core import BatchGame, sample_actions
from redqueen.games.batch.repeated_matrix import RepeatedMatrixBatch
from redqueen.games.batch.table_poker import TablePokerBatch
from redqueen.games.core import CHANCE, SIMULTANEOUS, Game
from redqueen.games.registry import make
from redqueen.games.repeated import RepeatedGame

FloatArray = NDArray[np.float64]

PPO_GAMES = ("connect_four", "kuhn_poker", "leduc_poker", "repeated", "tic_tac_toe")
"""Games the PPO trainer knows (the batch engines, and repeated matrix games)."""

REPEATED_MEMORY = 3
"""Rounds of history a policy of a repeated matrix game sees."""

CHECKPOINT_FORMAT = "redqueen-ppo-policy-1"


# ---- hyperparameters ----------------------------------------------------------------------


@dataclass(frozen=True)
class PPOConfig:
    """Every PPO hyperparameter, with its default and meaning."""

    num_envs: int = 64
    """Games played at once in the batch engine; a rollout plays each to its end."""
    learning_rate: float = 2.5e-3
    """Adam step size."""
    gamma: float = 1.0
    """Discount per learner decision (1: the games are short and episodic)."""
    gae_lambda: float = 0.95
    """GAE's lambda: 0 is one-step TD, 1 is the Monte Carlo return."""
    update_epochs: int = 4
    """Passes over a rollout's transitions per update."""
    num_minibatches: int = 4
    """Minibatches per pass."""
    clip_coef: float = 0.2
    """PPO's ratio clip epsilon."""
    ent_coef: float = 0.01
    """Weight of the entropy bonus."""
    vf_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Global gradient-norm clip."""
    norm_adv: bool = True
    """Normalise advantages within each minibatch."""
    hidden: tuple[int, ...] = (64, 64)
    """Hidden layer widths of the actor and of the critic (separate tanh MLPs)."""

    def __post_init__(self) -> None:
        for name in ("num_envs", "update_epochs", "num_minibatches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(
                    f"PPOConfig.{name} must be a positive integer; got {value!r}"
                )
        for name, low, high in (
            ("learning_rate", 0.0, 1.0),
            ("gamma", 0.0, 1.0),
            ("gae_lambda", 0.0, 1.0),
            ("clip_coef", 0.0, 10.0),
            ("ent_coef", 0.0, 10.0),
            ("vf_coef", 0.0, 10.0),
            ("max_grad_norm", 0.0, 1e6),
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not low <= value <= high
            ):
                raise InvalidParameterError(
                    f"PPOConfig.{name} must be a number in [{low}, {high}]; got {value!r}"
                )
        hidden = tuple(self.hidden)
        if not hidden or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in hidden
        ):
            raise InvalidParameterError(
                f"PPOConfig.hidden must be one or more positive layer widths; got {self.hidden!r}"
            )
        object.__setattr__(self, "hidden", hidden)


# ---- features: one encoder per game family ---------------------------------------------------


class Encoder:
    """Turns a game's states into the fixed-size vectors and masks a policy sees."""

    game: Game
    num_features: int
    num_actions: int
    """The policy's outputs: the players' largest action count."""

    def make_engine(self, batch_size: int) -> BatchGame:
        raise NotImplementedError

    def batch_features(
        self, engine: BatchGame, rows: NDArray[np.int64], seats: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        """(len(rows), F): what seat ``seats[k]`` sees in play ``rows[k]``."""
        raise NotImplementedError

    def batch_mask(
        self, engine: BatchGame, rows: NDArray[np.int64], seats: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """(len(rows), A): the seat's legal actions in each play."""
        mask = engine.legal_mask()[rows, : self.num_actions]
        return np.asarray(mask, dtype=np.bool_)

    def key_features(self, key: Hashable, player: int) -> NDArray[np.float32]:
        """(F,): what ``player`` sees, from its information-state key in the scalar game."""
        raise NotImplementedError


def _bits(values: NDArray[np.int64], positions: NDArray[np.int64]) -> NDArray[np.float32]:
    return ((values[:, None] >> positions[None, :]) & 1).astype(np.float32)


class BoardEncoder(Encoder):
    """Tic-tac-toe and connect four: seat one-hot, then the mover's cells, then the
    opponent's cells (bit positions of the bitboards both engines share)."""

    def __init__(self, game: Game) -> None:
        self.game = game
        if game.id == "tic_tac_toe":
            self._positions = np.arange(9, dtype=np.int64)
        else:
            rows, columns = game.rows, game.columns  # type: ignore[attr-defined]
            self._positions = np.array(
                [c * (rows + 1) + r for r in range(rows) for c in range(columns)], np.int64
            )
        self.num_actions = game.num_distinct_actions
        self.num_features = 2 + 2 * len(self._positions)

    def make_engine(self, batch_size: int) -> BatchGame:
        if self.game.id == "tic_tac_toe":
            return make_batch("tic_tac_toe", batch_size)
        from redqueen.games.batch.connect_four import ConnectFourBatch

        g: Any = self.game
        return ConnectFourBatch(batch_size, rows=g.rows, columns=g.columns, x_in_row=g.x_in_row)

    def _encode(
        self, seats: NDArray[np.int64], own: NDArray[np.int64], other: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        seat = np.eye(2, dtype=np.float32)[seats]
        return np.concatenate([seat, _bits(own, self._positions), _bits(other, self._positions)], 1)

    def batch_features(
        self, engine: BatchGame, rows: NDArray[np.int64], seats: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        e: Any = engine
        mover, occupied = e._mover[rows], e._occupied[rows]
        # Features are asked for the seat to move, whose marks the engine keeps as _mover.
        return self._encode(seats, mover, occupied ^ mover)

    def key_features(self, key: Hashable, player: int) -> NDArray[np.float32]:
        k: Any = key
        _, m0, m1 = k
        marks = (int(m0), int(m1))
        own = np.array([marks[player]], np.int64)
        other = np.array([marks[1 - player]], np.int64)
        return self._encode(np.array([player]), own, other)[0]


class PokerEncoder(Encoder):
    """Kuhn and Leduc poker: seat one-hot, own card one-hot, public card one-hot (Leduc;
    zeros until dealt), and the public betting node one-hot (the table engines' node
    number, which fixes the whole betting history)."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self._engine_id = game.id
        probe = self.make_engine(1)
        assert isinstance(probe, TablePokerBatch)
        self._cards = 3 if game.id == "kuhn_poker" else 6
        self._sets = 1 << self._cards
        self._nodes = len(probe.tables["player"]) // self._sets
        self._public = game.id == "leduc_poker"
        self.num_actions = 2 if game.id == "kuhn_poker" else 3
        self.num_features = 2 + self._cards * (2 if self._public else 1) + self._nodes
        self._probe = probe
        self._node_cache: dict[Hashable, int] = {}

    def make_engine(self, batch_size: int) -> BatchGame:
        return make_batch(self._engine_id, batch_size)

    def _encode(
        self,
        seats: NDArray[np.int64],
        own: NDArray[np.int64],
        public: NDArray[np.int64],
        node: NDArray[np.int64],
    ) -> NDArray[np.float32]:
        n = len(seats)
        parts = [np.eye(2, dtype=np.float32)[seats], np.eye(self._cards, dtype=np.float32)[own]]
        if self._public:
            pub = np.zeros((n, self._cards), np.float32)
            dealt = public >= 0
            pub[np.flatnonzero(dealt), public[dealt]] = 1.0
            parts.append(pub)
        parts.append(np.eye(self._nodes, dtype=np.float32)[node])
        return np.concatenate(parts, 1)

    def batch_features(
        self, engine: BatchGame, rows: NDArray[np.int64], seats: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        e: Any = engine
        cards = engine.cards()[rows] if isinstance(engine, TablePokerBatch) else None
        assert cards is not None
        own = cards[np.arange(len(rows)), seats]
        public = cards[:, 2] if self._public else np.full(len(rows), -1)
        node = e._state[rows] // self._sets
        return self._encode(seats, own, public, node)

    def _node(self, betting: tuple[tuple[int, ...], ...], public_dealt: bool) -> int:
        """The engine's node number for a betting history (found by replaying it once)."""
        cache_key = (betting, public_dealt)
        if cache_key not in self._node_cache:
            engine: Any = self._probe
            engine.reset()
            engine.step(np.array([0]))
            engine.step(np.array([1]))
            for a in betting[0]:
                engine.step(np.array([a]))
            if public_dealt:
                engine.step(np.array([2]))
            if len(betting) > 1:
                for a in betting[1]:
                    engine.step(np.array([a]))
            self._node_cache[cache_key] = int(engine._state[0]) // self._sets
        return self._node_cache[cache_key]

    def key_features(self, key: Hashable, player: int) -> NDArray[np.float32]:
        k: Any = key
        if self._public:
            own, public, r1, r2, _ = k
            node = self._node((tuple(r1), tuple(r2)), public is not None)
            pub = -1 if public is None else int(public)
        else:
            own, actions = k
            node = self._node((tuple(actions),), False)
            pub = -1
        return self._encode(
            np.array([player]), np.array([int(own)]), np.array([pub]), np.array([node])
        )[0]


class RepeatedEncoder(Encoder):
    """Repeated matrix games: seat one-hot, then for each of the last
    :data:`REPEATED_MEMORY` rounds (most recent first) both seats' executed actions one-hot
    (zeros for rounds not played), then the share of rounds played (of the fixed number,
    or of ``max_rounds``). A seat's own intended moves under noise are not shown."""

    def __init__(self, game: Game) -> None:
        if not isinstance(game, RepeatedGame):
            raise InvalidParameterError(f"RepeatedEncoder needs a repeated game; got {game!r}")
        self.game = game
        self._engine = RepeatedMatrixBatch(game, 1)
        self._n = (self._engine.n0, self._engine.n1)
        self._horizon = self._engine.max_rounds
        self.num_actions = max(self._n)
        self.num_features = 2 + REPEATED_MEMORY * sum(self._n) + 1

    def make_engine(self, batch_size: int) -> BatchGame:
        assert isinstance(self.game, RepeatedGame)
        return RepeatedMatrixBatch(self.game, batch_size)

    def _encode(
        self, seats: NDArray[np.int64], last: NDArray[np.int64], played: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        n0, n1 = self._n
        n = len(seats)
        out = np.zeros((n, self.num_features), np.float32)
        out[np.arange(n), seats] = 1.0
        for j in range(REPEATED_MEMORY):
            have = np.flatnonzero(last[:, j] >= 0)
            e0, e1 = np.divmod(last[have, j], n1)
            base = 2 + j * (n0 + n1)
            out[have, base + e0] = 1.0
            out[have, base + n0 + e1] = 1.0
        out[:, -1] = played / self._horizon
        return out

    def batch_features(
        self, engine: BatchGame, rows: NDArray[np.int64], seats: NDArray[np.int64]
    ) -> NDArray[np.float32]:
        assert isinstance(engine, RepeatedMatrixBatch)
        last = engine.last_rounds(REPEATED_MEMORY)[rows]
        return self._encode(seats, last, engine.rounds_played[rows])

    def batch_mask(
        self, engine: BatchGame, rows: NDArray[np.int64], seats: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        assert isinstance(engine, RepeatedMatrixBatch)
        mask = np.zeros((len(rows), self.num_actions), np.bool_)
        for seat in (0, 1):
            here = seats == seat
            mask[here, : self._n[seat]] = engine.player_mask(seat)[rows[here]]
        return mask

    def key_features(self, key: Hashable, player: int) -> NDArray[np.float32]:
        executed = list(key[1])  # type: ignore[index]
        n1 = self._n[1]
        last = np.full((1, REPEATED_MEMORY), -1, np.int64)
        for j, (e0, e1) in enumerate(reversed(executed[-REPEATED_MEMORY:])):
            last[0, j] = e0 * n1 + e1
        return self._encode(np.array([player]), last, np.array([len(executed)]))[0]


def encoder_for(game: Game) -> Encoder:
    """The encoder of ``game``; an error naming :data:`PPO_GAMES` for any other game."""
    if game.id in ("tic_tac_toe", "connect_four"):
        return BoardEncoder(game)
    if game.id in ("kuhn_poker", "leduc_poker"):
        if game.num_players != 2:
            raise InvalidParameterError(
                f"PPO plays two-player poker; {game.id} has {game.num_players}"
            )
        if game.id == "leduc_poker" and game.params:
            default = make("leduc_poker").params
            if dict(game.params) != dict(default):
                raise InvalidParameterError(
                    f"the leduc_poker batch engine has the default rules only; got {game.params}"
                )
        return PokerEncoder(game)
    if isinstance(game, RepeatedGame):
        return RepeatedEncoder(game)
    raise UnknownNameError("game for PPO", game.id, PPO_GAMES)


# ---- the network ------------------------------------------------------------------------------


def _layer(n_in: int, n_out: int, std: float) -> nn.Linear:
    layer = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(layer.weight, std)
    nn.init.constant_(layer.bias, 0.0)
    return layer


def _mlp(n_in: int, hidden: Sequence[int], n_out: int, out_std: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [_layer(width, h, float(np.sqrt(2))), nn.Tanh()]
        width = h
    layers.append(_layer(width, n_out, out_std))
    return nn.Sequential(*layers)


class ActorCritic(nn.Module):
    """Separate actor and critic MLPs (CleanRL's layout and initialisation)."""

    def __init__(self, num_features: int, num_actions: int, hidden: Sequence[int]) -> None:
        super().__init__()
        self.actor = _mlp(num_features, hidden, num_actions, 0.01)
        self.critic = _mlp(num_features, hidden, 1, 1.0)

    def masked_logits(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The actor's logits with illegal actions at -inf."""
        logits: torch.Tensor = self.actor(x)
        return logits.masked_fill(~mask, float("-inf"))

    def value(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.critic(x).squeeze(-1)
        return out


def masked_log_probs(logits: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(log-probabilities, entropy) of masked logits; illegal actions have log-probability
    -inf and add 0 to the entropy."""
    logp = torch.log_softmax(logits, dim=-1)
    p = logp.exp()
    entropy = -(p * logp.masked_fill(~mask, 0.0)).sum(-1)
    return logp, entropy


def sample_from(probs: NDArray[np.float64], rng: np.random.Generator) -> NDArray[np.int64]:
    """One action per row of ``probs`` by inverse CDF (illegal actions have probability 0
    and are never drawn)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0]) * cdf[:, -1]
    actions = (cdf <= u[:, None]).sum(axis=1)
    # A draw can only land past the last legal action through rounding: step back to it.
    last_legal = probs.shape[1] - 1 - np.argmax(probs[:, ::-1] > 0, axis=1)
    return np.minimum(actions, last_legal).astype(np.int64)


# ---- frozen policies and the agent ------------------------------------------------------------


class PPOPolicy:
    """A frozen actor-critic for one game: what a snapshot, a population member and a
    checkpoint file hold."""

    def __init__(self, game: Game, net: ActorCritic, hidden: Sequence[int]) -> None:
        self.game = game
        self.encoder = encoder_for(game)
        self.net = net
        self.hidden = tuple(hidden)
        self.net.eval()
        for p in self.net.parameters():
            p.requires_grad_(False)

    @classmethod
    def copy_of(cls, game: Game, net: ActorCritic, hidden: Sequence[int]) -> PPOPolicy:
        return cls(game, copy.deepcopy(net), hidden)

    def probabilities(
        self, features: NDArray[np.float32], mask: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """(N, A) action probabilities (0 for illegal actions)."""
        with torch.no_grad():
            logits = self.net.masked_logits(torch.from_numpy(features), torch.from_numpy(mask))
            probs = torch.softmax(logits, dim=-1).double().numpy()
        return np.asarray(probs, dtype=np.float64)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        torch.save(
            {
                "format": CHECKPOINT_FORMAT,
                "game": self.game.id,
                "game_params": _jsonable(dict(self.game.params)),
                "hidden": list(self.hidden),
                "state_dict": self.net.state_dict(),
            },
            buffer,
        )
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the policy to ``path`` whole or not at all."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(self.to_bytes())
        tmp.replace(path)
        return path

    @classmethod
    def from_bytes(cls, data: bytes) -> PPOPolicy:
        record = torch.load(io.BytesIO(data), weights_only=True)
        if not isinstance(record, dict) or record.get("format") != CHECKPOINT_FORMAT:
            raise RedqueenError(
                f"not a redqueen PPO policy checkpoint (format {CHECKPOINT_FORMAT})"
            )
        game = make(record["game"], **record["game_params"])
        encoder = encoder_for(game)
        net = ActorCritic(encoder.num_features, encoder.num_actions, record["hidden"])
        net.load_state_dict(record["state_dict"])
        return cls(game, net, record["hidden"])

    @classmethod
    def load(cls, path: str | Path) -> PPOPolicy:
        path = Path(path)
        if not path.is_file():
            raise InvalidParameterError(f"no PPO policy checkpoint at {path}")
        return cls.from_bytes(path.read_bytes())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class PPOAgent(Agent):
    """A trained PPO policy as an :class:`Agent`: it samples from the policy (``greedy``:
    plays the most probable legal action instead). Build it from a checkpoint file
    (``make_agent("ppo", checkpoint=PATH)``) or in memory from a :class:`PPOPolicy`; only
    the first can be rebuilt from its spec."""

    name = "ppo"
    reads_text = False

    def __init__(
        self,
        checkpoint: str | None = None,
        greedy: bool = False,
        *,
        policy: PPOPolicy | None = None,
    ) -> None:
        if policy is None:
            if checkpoint is None:
                raise InvalidParameterError(
                    "a ppo agent needs checkpoint=PATH (a file written by PPOPolicy.save)"
                )
            policy = PPOPolicy.load(checkpoint)
        self.policy = policy
        self.checkpoint = None if checkpoint is None else str(checkpoint)
        self.greedy = bool(greedy)

    def check_game(self, game: Game) -> None:
        own = self.policy.game
        if game.id != own.id or dict(game.params) != dict(own.params):
            raise RedqueenError(
                f"this ppo policy was trained on {own.id} {dict(own.params)}; it cannot play "
                f"{game.id} {dict(game.params)}"
            )

    def act(self, obs: Observation) -> int:
        encoder = self.policy.encoder
        x = encoder.key_features(obs.information_state_key, obs.player)[None, :]
        mask = np.zeros((1, encoder.num_actions), np.bool_)
        mask[0, list(obs.legal_actions)] = True
        probs = self.policy.probabilities(x, mask)
        if self.greedy:
            return int(np.argmax(probs[0]))
        return int(sample_from(probs, obs.rng)[0])

    def spec(self) -> AgentSpec:
        params: dict[str, Any] = {"checkpoint": self.checkpoint}
        if self.greedy:
            params["greedy"] = True
        return AgentSpec("ppo", params)


Opponent = PPOPolicy | Agent
"""An opponent in training: a frozen PPO policy (or a :class:`PPOAgent`), or the
uniform :class:`~redqueen.agents.random_agent.RandomAgent`."""


def _opponent_policy(opponent: Opponent) -> PPOPolicy | None:
    if isinstance(opponent, PPOPolicy):
        return opponent
    if isinstance(opponent, PPOAgent):
        return opponent.policy
    if isinstance(opponent, RandomAgent):
        return None
    raise InvalidParameterError(
        f"PPO trains against frozen PPO policies or the random agent; got {opponent!r}"
    )


# ---- the trainer -------------------------------------------------------------------------------


@dataclass
class Rollout:
    """One rollout's learner transitions (in the order they were made) and its games."""

    features: NDArray[np.float32]
    masks: NDArray[np.bool_]
    actions: NDArray[np.int64]
    log_probs: NDArray[np.float32]
    values: NDArray[np.float32]
    advantages: NDArray[np.float32]
    returns: NDArray[np.float32]
    final_returns: FloatArray
    """(num_envs,) the learner's return in each game."""
    opponents: NDArray[np.int64]
    """(num_envs,) the index of each game's opponent."""
    env_steps: int
    """Engine steps of unfinished games, chance and opponent moves included."""


@dataclass
class PPOStats:
    """What one :meth:`PPOTrainer.train_iteration` did."""

    update: int
    env_steps: int
    transitions: int
    mean_return: float
    win_rate: float
    draw_rate: float
    policy_loss: float
    value_loss: float
    entropy: float
    approx_kl: float
    clip_fraction: float
    extra: dict[str, float] = field(default_factory=dict)


class PPOTrainer:
    """A PPO learner for one game; call :meth:`train_iteration` with opponents."""

    def __init__(self, game: Game, config: PPOConfig | None = None, seed: int = 0) -> None:
        self.game = game
        self.config = config or PPOConfig()
        self.encoder = encoder_for(game)
        self.engine = self.encoder.make_engine(self.config.num_envs)
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        self.net = ActorCritic(
            self.encoder.num_features, self.encoder.num_actions, self.config.hidden
        )
        self.optimizer = torch.optim.Adam(
            self.net.parameters(), lr=self.config.learning_rate, eps=1e-5
        )
        self.updates = 0
        self.env_steps = 0

    # ---- hyperparameters (PBT changes them between updates) ----------------------------

    def set_hyperparameters(self, **values: float) -> None:
        """Replace config fields (``learning_rate``, ``ent_coef``, ...) from now on."""
        allowed = [f.name for f in dataclasses.fields(PPOConfig)]
        for name in values:
            if name not in allowed:
                raise UnknownNameError("PPO hyperparameter", name, allowed)
        changes: dict[str, Any] = dict(values)
        self.config = dataclasses.replace(self.config, **changes)

    def policy(self) -> PPOPolicy:
        """A frozen copy of the current policy (a snapshot)."""
        return PPOPolicy.copy_of(self.game, self.net, self.config.hidden)

    # ---- acting ----------------------------------------------------------------------

    def _act(
        self,
        policy: PPOPolicy | None,
        features: NDArray[np.float32],
        mask: NDArray[np.bool_],
    ) -> NDArray[np.int64]:
        if policy is None:  # uniform over the legal actions
            probs = mask / mask.sum(axis=1, keepdims=True)
        else:
            probs = policy.probabilities(features, mask)
        return sample_from(probs, self.rng)

    def collect(self, opponents: Sequence[Opponent], weights: ArrayLike | None = None) -> Rollout:
        """Play every game of the batch to its end against opponents drawn per game from
        ``opponents`` with ``weights`` (uniform when None)."""
        if not opponents:
            raise InvalidParameterError("PPO needs at least one opponent to train against")
        policies = [_opponent_policy(o) for o in opponents]
        w = (
            np.full(len(opponents), 1.0 / len(opponents))
            if weights is None
            else np.asarray(weights, float)
        )
        if w.shape != (len(opponents),) or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
            raise InvalidParameterError(
                f"opponent weights must be {len(opponents)} non-negative numbers summing to 1; "
                f"got {w.tolist()}"
            )
        engine, encoder, cfg = self.engine, self.encoder, self.config
        b = cfg.num_envs
        engine.reset()
        seats = (np.arange(b) + self.updates) % 2
        opp = self.rng.choice(len(opponents), size=b, p=w / w.sum())
        chunks: list[dict[str, Any]] = []
        count = 0
        last_idx = np.full(b, -1, np.int64)
        last_ret = np.zeros(b)
        rewards: list[float] = []
        next_idx: list[int] = []
        env_steps = 0
        n_sim = getattr(engine, "n1", 1)
        while True:
            done = engine.done
            if done.all():
                break
            env_steps += int((~done).sum())
            player = engine.current_player()
            actions = np.zeros(b, np.int64)
            chance = player == CHANCE
            if chance.any():
                actions[chance] = sample_actions(engine, self.rng)[chance]
            sim = player == SIMULTANEOUS
            learner = np.flatnonzero((player == seats) | sim)
            opponent_rows = np.flatnonzero((player == 1 - seats) | sim)
            learner_actions = np.zeros(b, np.int64)
            opponent_actions = np.zeros(b, np.int64)
            if learner.size:
                x = encoder.batch_features(engine, learner, seats[learner])
                m = encoder.batch_mask(engine, learner, seats[learner])
                with torch.no_grad():
                    xt, mt = torch.from_numpy(x), torch.from_numpy(m)
                    logits = self.net.masked_logits(xt, mt)
                    logp_all = torch.log_softmax(logits, dim=-1)
                    value = self.net.value(xt).numpy()
                probs = logp_all.exp().double().numpy()
                a = sample_from(probs, self.rng)
                logp = logp_all.numpy()[np.arange(len(a)), a]
                learner_actions[learner] = a
                ret_now = engine.returns()[learner, seats[learner]]
                idx = np.arange(count, count + len(learner))
                prev = last_idx[learner]
                for k in np.flatnonzero(prev >= 0):
                    rewards[prev[k]] = float(ret_now[k] - last_ret[learner[k]])
                    next_idx[prev[k]] = int(idx[k])
                rewards.extend([0.0] * len(learner))
                next_idx.extend([-1] * len(learner))
                last_idx[learner] = idx
                last_ret[learner] = ret_now
                chunks.append({"x": x, "m": m, "a": a, "logp": logp.astype(np.float32), "v": value})
                count += len(learner)
            for j, pol in enumerate(policies):
                rows = opponent_rows[opp[opponent_rows] == j]
                if rows.size:
                    oseat = 1 - seats[rows]
                    x = encoder.batch_features(engine, rows, oseat)
                    m = encoder.batch_mask(engine, rows, oseat)
                    opponent_actions[rows] = self._act(pol, x, m)
            turn = np.flatnonzero((player >= 0) & ~sim)
            actions[turn] = np.where(
                player[turn] == seats[turn], learner_actions[turn], opponent_actions[turn]
            )
            if sim.any():
                a0 = np.where(seats == 0, learner_actions, opponent_actions)
                a1 = np.where(seats == 0, opponent_actions, learner_actions)
                actions[sim] = (a0 * n_sim + a1)[sim]
            engine.step(actions)
        final = engine.returns()[np.arange(b), seats]
        dones = np.zeros(count, np.bool_)
        for e in np.flatnonzero(last_idx >= 0):
            rewards[last_idx[e]] = float(final[e] - last_ret[e])
            dones[last_idx[e]] = True
        r = np.asarray(rewards, np.float32)
        nxt = np.asarray(next_idx, np.int64)
        values = np.concatenate([c["v"] for c in chunks]).astype(np.float32)
        adv = np.zeros(count, np.float32)
        end = count
        for c in reversed(chunks):  # GAE, newest decisions first
            start = end - len(c["a"])
            i = np.arange(start, end)
            nx = nxt[i]
            has = nx >= 0
            v_next = np.where(has, values[np.maximum(nx, 0)], 0.0)
            a_next = np.where(has, adv[np.maximum(nx, 0)], 0.0)
            delta = r[i] + cfg.gamma * v_next - values[i]
            adv[i] = delta + cfg.gamma * cfg.gae_lambda * a_next
            end = start
        self.env_steps += env_steps
        return Rollout(
            features=np.concatenate([c["x"] for c in chunks]),
            masks=np.concatenate([c["m"] for c in chunks]),
            actions=np.concatenate([c["a"] for c in chunks]),
            log_probs=np.concatenate([c["logp"] for c in chunks]),
            values=values,
            advantages=adv,
            returns=adv + values,
            final_returns=final,
            opponents=opp,
            env_steps=env_steps,
        )

    # ---- learning --------------------------------------------------------------------

    def update(self, rollout: Rollout) -> dict[str, float]:
        """PPO's clipped-objective update on ``rollout``; returns the losses."""
        cfg = self.config
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.learning_rate
        n = len(rollout.actions)
        x = torch.from_numpy(rollout.features)
        m = torch.from_numpy(rollout.masks)
        a = torch.from_numpy(rollout.actions)
        old_logp = torch.from_numpy(rollout.log_probs)
        adv_all = torch.from_numpy(rollout.advantages)
        ret = torch.from_numpy(rollout.returns)
        size = max(1, n // cfg.num_minibatches)
        stats = {"policy_loss": 0.0, "value_loss": 0.0, "entropy": 0.0, "approx_kl": 0.0}
        clipped = 0.0
        batches = 0
        self.net.train()
        for _ in range(cfg.update_epochs):
            order = torch.from_numpy(self.rng.permutation(n))
            for start in range(0, n, size):
                mb = order[start : start + size]
                logits = self.net.masked_logits(x[mb], m[mb])
                logp_all, entropy = masked_log_probs(logits, m[mb])
                logp = logp_all.gather(1, a[mb, None]).squeeze(1)
                log_ratio = logp - old_logp[mb]
                ratio = log_ratio.exp()
                adv = adv_all[mb]
                if cfg.norm_adv and len(mb) > 1:
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                pg_loss = torch.max(
                    -adv * ratio, -adv * torch.clamp(ratio, 1 - cfg.clip_coef, 1 + cfg.clip_coef)
                ).mean()
                v_loss = 0.5 * ((self.net.value(x[mb]) - ret[mb]) ** 2).mean()
                ent = entropy.mean()
                loss = pg_loss - cfg.ent_coef * ent + cfg.vf_coef * v_loss
                self.optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                with torch.no_grad():
                    stats["approx_kl"] += float(((ratio - 1) - log_ratio).mean())
                    clipped += float(((ratio - 1.0).abs() > cfg.clip_coef).float().mean())
                stats["policy_loss"] += float(pg_loss.detach())
                stats["value_loss"] += float(v_loss.detach())
                stats["entropy"] += float(ent.detach())
                batches += 1
        self.net.eval()
        out = {k: v / batches for k, v in stats.items()}
        out["clip_fraction"] = clipped / batches
        return out

    def train_iteration(
        self, opponents: Sequence[Opponent], weights: ArrayLike | None = None
    ) -> PPOStats:
        """One rollout against ``opponents`` (drawn per game by ``weights``), then one
        update."""
        rollout = self.collect(opponents, weights)
        losses = self.update(rollout)
        self.updates += 1
        final = rollout.final_returns
        return PPOStats(
            update=self.updates,
            env_steps=self.env_steps,
            transitions=len(rollout.actions),
            mean_return=float(final.mean()),
            win_rate=float((final > 0).mean()),
            draw_rate=float((final == 0).mean()),
            policy_loss=losses["policy_loss"],
            value_loss=losses["value_loss"],
            entropy=losses["entropy"],
            approx_kl=losses["approx_kl"],
            clip_fraction=losses["clip_fraction"],
        )

    # ---- checkpoints -----------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything a resumed run needs: weights, optimiser, Generator, counters and
        the (possibly changed) hyperparameters."""
        return {
            "net": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": self.rng.bit_generator.state,
            "updates": self.updates,
            "env_steps": self.env_steps,
            "config": dataclasses.asdict(self.config),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        config = dict(state["config"])
        config["hidden"] = tuple(config["hidden"])
        self.config = PPOConfig(**config)
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["rng"]
        self.updates = int(state["updates"])
        self.env_steps = int(state["env_steps"])

    def save(self, path: str | Path) -> Path:
        """Write :meth:`state_dict` to ``path`` whole or not at all."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        torch.save(self.state_dict(), tmp)
        tmp.replace(path)
        return path

    def load(self, path: str | Path) -> None:
        # weights_only: a checkpoint is data (tensors, numbers, dicts), never unpickled code
        self.load_state_dict(torch.load(Path(path), weights_only=True))


def play_policies(
    game: Game,
    policies: Sequence[Opponent],
    num_games: int,
    rng: np.random.Generator,
) -> FloatArray:
    """(num_games, 2) returns of ``num_games`` plays in the batch engine with
    ``policies[s]`` (a frozen policy, a :class:`PPOAgent` or the random agent) in seat
    ``s``: a fast way to fill a payoff table between snapshots."""
    if len(policies) != 2:
        raise InvalidParameterError(f"give one policy per seat (2); got {len(policies)}")
    encoder = encoder_for(game)
    engine = encoder.make_engine(num_games)
    nets = [_opponent_policy(p) for p in policies]
    n1 = getattr(engine, "n1", 1)
    while not engine.done.all():
        player = engine.current_player()
        actions = np.zeros(num_games, np.int64)
        chance = player == CHANCE
        if chance.any():
            actions[chance] = sample_actions(engine, rng)[chance]
        sim = player == SIMULTANEOUS
        chosen = np.zeros((2, num_games), np.int64)
        for seat, net in enumerate(nets):
            rows = np.flatnonzero((player == seat) | sim)
            if rows.size:
                seats = np.full(rows.size, seat)
                x = encoder.batch_features(engine, rows, seats)
                m = encoder.batch_mask(engine, rows, seats)
                probs = m / m.sum(axis=1, keepdims=True) if net is None else net.probabilities(x, m)
                chosen[seat, rows] = sample_from(probs, rng)
        turn = (player >= 0) & ~sim
        actions[turn] = chosen[player[turn], np.flatnonzero(turn)]
        actions[sim] = (chosen[0] * n1 + chosen[1])[sim]
        engine.step(actions)
    return engine.returns()
