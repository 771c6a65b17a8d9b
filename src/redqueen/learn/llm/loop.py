"""The LLM self-play loop: collect, advantages, update, evaluate; recorded and resumable.

One step:

1. **collect**: ``games_per_step`` games with :class:`~redqueen.learn.llm.collector.Collector`.
   Each episode's game, opponent and trained seat come from :func:`training_schedule`;
   the opponent is ``"self"`` (every seat is the current policy, every seat trained:
   naive self-play, SPIRAL and MARS), ``"past"`` (the trained seat meets a frozen
   snapshot drawn uniformly from the last ``past_window``: fictitious self-play; or by
   PFSP, or by a win-rate gate, ``past_sampling``), or any
   agent spec (``random``, ``minimax``, ``policy:path=...``). With ``group_size`` ``g``
   the episodes come in groups of ``g`` that share game, opponent, seat, deal and the
   agents' random streams: ``g`` attempts from the same start.
2. **advantages**: the estimator (``rae``, ``mars``, ``grpo`` or ``reinforce``,
   :mod:`redqueen.learn.llm.advantages`) over the whole batch, episodes in order; RAE's
   baselines, keyed by (game, seat), carry over from step to step; GRPO compares the
   returns of one seat within each group. Samples whose advantage is exactly 0 are
   dropped with ``filter_zero`` (SPIRAL's ``filter_zero_adv``).
3. **update**: one :meth:`~redqueen.learn.llm.learner.Learner.step` on the kept samples;
   it also reports the gap between the sampler's and the learner's logprobs.
4. **evaluate** every ``eval_every`` steps: ``eval_games`` seat-balanced games against
   each evaluator (win, draw, loss and invalid rates with 95% Wilson intervals, and the
   mean reward of the policy's seat, which is what counts in general-sum role games), and for
   games small enough to compile the exact exploitability of the induced policy
   (:mod:`redqueen.learn.llm.policy`), of the current policy and of the mixture of the
   snapshots, with the game's own exact measures of it (:mod:`redqueen.measure.induced`:
   SPC's critic accuracies in ``critic_game``). Held-out games (``held_out``: evaluated,
   never trained on, as MARS does with connect four, Leduc and Simple Hanabi) are
   evaluated the same way. With more than one game the metric names carry the game's
   label (:func:`game_labels`).

With a :class:`~redqueen.store.run_store.RunStore` every step logs its metrics (names in
:data:`STEP_METRICS` and the ``eval/``, ``baseline/``, ``population/`` and
``exploitability`` families) and
checkpoints the learner (weights and optimiser), the baselines and the step counter; a
snapshot every ``snapshot_every`` steps joins the population of past versions. All
randomness of step ``s`` comes from ``(seed, s)``, so a run killed at any moment resumes
after its last checkpoint and logs no metric twice (:class:`~redqueen.learn.self_play.MetricLog`).
"""

from __future__ import annotations

import copy
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from redqueen.agents.core import Agent
from redqueen.agents.registry import parse_agent
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.learn.llm.advantages import SeatTrace, grpo, keep_nonzero, mars, rae, reinforce
from redqueen.learn.llm.collector import (
    Collector,
    EpisodeRecord,
    PolicySeat,
    Prompter,
    Protocol,
    SeatPlayer,
)
from redqueen.learn.llm.records import TurnSample
from redqueen.learn.population import PFSP_WEIGHTINGS, GatedRotation, pfsp_weights
from redqueen.learn.self_play import MetricLog
from redqueen.measure.induced import policy_measures
from redqueen.measure.statistics import rate_with_interval

if TYPE_CHECKING:  # a run is handed its store
    from redqueen.store.run_store import RunStore

ALGORITHM = "llm_self_play"
ESTIMATORS = ("rae", "mars", "grpo", "reinforce")
OUTCOMES = ("win", "draw", "loss", "invalid")
STEP_METRICS = (
    "train/legal_rate",
    "train/invalid_game_rate",
    "train/response_length",
    "train/samples",
    "train/kept_samples",
    "train/loss",
    "train/entropy",
    "train/logprob_gap",
    "speed/tokens_per_s",
    "speed/games_per_s",
    "seconds/collect",
    "seconds/advantages",
    "seconds/update",
    "seconds/evaluate",
)
"""The per-step metrics (``train/loss`` and the learner's others when a sample was kept,
``seconds/evaluate`` at evaluations). ``speed/tokens_per_s`` counts the tokens the
trained seats generated over the collection's seconds; ``seconds/update`` is the
learner's step; with vLLM, each step also logs ``seconds/sync``, saving the updated
adapter and swapping it into the engine."""


@dataclass(frozen=True)
class LoopConfig:
    """The loop's settings (the protocol and the learner have their own)."""

    steps: int = 100
    games_per_step: int = 64
    opponents: tuple[str, ...] = ("self",)
    seats: tuple[int, ...] = ()
    """The seats the trained policy takes against agents and past versions, and in
    evaluation (episode ``e`` takes ``seats[e % len(seats)]``); empty: every seat in turn.
    A role game trains one role: ``[0]`` is the proposer of ``proposer_solver``."""
    past_window: int = 5
    past_sampling: str = "uniform"
    """How a ``past`` opponent is drawn (the population machinery of
    :mod:`redqueen.learn.population`): ``"uniform"`` over the last ``past_window``
    snapshots; ``"pfsp"``, prioritised fictitious self-play over the same window
    (:func:`~redqueen.learn.population.pfsp_weights` with ``pfsp_weighting``, from the
    trained seat's win rate against each snapshot so far, a draw counting half, with one
    half-won game of prior); ``"gated"``, win-rate-gated rotation through every snapshot,
    oldest first (:class:`~redqueen.learn.population.GatedRotation`: the trained seat
    faces one snapshot until it wins more than ``gate_threshold`` of at least
    ``gate_min_games`` games against it, then the next; past the newest it faces the
    newest until a new snapshot joins)."""
    pfsp_weighting: str = "hard"
    gate_threshold: float = 0.55
    gate_min_games: int = 32
    estimator: str = "rae"
    group_size: int = 1
    """Games per group of attempts from the same start (game, opponent, seat, deal and
    the agents' random streams; the replies are sampled apart). ``grpo`` needs groups
    of at least 2: a role against a scripted opponent then learns from the difference
    between its own attempts at one task, not from whether the task drawn was easy
    (RAE's one baseline per role cannot tell)."""
    alpha: float = 0.95
    gamma: float = 1.0
    filter_zero: bool = True
    snapshot_every: int = 10
    eval_every: int = 10
    eval_games: int = 64
    evaluators: tuple[str, ...] = ("random",)
    exploitability: bool | tuple[str, ...] = True
    """Measure the induced policy's exact exploitability at each evaluation: ``True`` on
    every imperfect-information game that compiles (two-player, zero-sum, sequential:
    Kuhn, Leduc), ``False`` nowhere, or a tuple of game ids (which may name a
    perfect-information game such as tic-tac-toe, whose thousands of states make each
    evaluation cost as many model calls)."""
    checkpoint_every: int = 1
    rollout_actors: int = 0
    """Ray actors that play the games (:mod:`redqueen.learn.llm.ray_collector`); 0 plays
    them in this process. Either way the games are the same."""
    seed: int = 0

    def __post_init__(self) -> None:
        if self.estimator not in ESTIMATORS:
            raise InvalidParameterError(
                f"estimator {self.estimator!r}; allowed: {', '.join(ESTIMATORS)}"
            )
        for name in (
            "steps",
            "games_per_step",
            "past_window",
            "snapshot_every",
            "eval_games",
            "group_size",
        ):
            if getattr(self, name) < 1:
                raise InvalidParameterError(f"{name} must be at least 1")
        if self.games_per_step % self.group_size:
            raise InvalidParameterError(
                f"games_per_step ({self.games_per_step}) must be a multiple of group_size "
                f"({self.group_size})"
            )
        if self.estimator == "grpo" and self.group_size < 2:
            raise InvalidParameterError(
                "estimator grpo compares attempts from the same start: set group_size to 2 or more"
            )
        if self.eval_every < 0 or self.checkpoint_every < 1 or self.rollout_actors < 0:
            raise InvalidParameterError(
                "eval_every and rollout_actors must be 0 or more, checkpoint_every at least 1"
            )
        if self.past_sampling not in PAST_SAMPLING:
            raise UnknownNameError("past_sampling", str(self.past_sampling), PAST_SAMPLING)
        if self.pfsp_weighting not in PFSP_WEIGHTINGS:
            raise UnknownNameError("pfsp_weighting", str(self.pfsp_weighting), PFSP_WEIGHTINGS)
        GatedRotation(threshold=self.gate_threshold, min_games=self.gate_min_games)  # checks
        if not self.opponents:
            raise InvalidParameterError("opponents: name at least one (self, past, or an agent)")
        if any(seat < 0 for seat in self.seats):
            raise InvalidParameterError(f"seats {list(self.seats)}: seats count from 0")
        for spec in (*self.opponents, *self.evaluators):
            if spec not in ("self", "past"):
                try:
                    parse_agent(spec)
                except RedqueenError as err:
                    raise InvalidParameterError(f"opponent or evaluator {spec!r}: {err}") from None


@dataclass
class StepRecord:
    step: int
    metrics: dict[str, float]


@dataclass
class LoopResult:
    steps: list[StepRecord] = field(default_factory=list)
    resumed_from: int = 0
    baselines: dict[tuple[str, int | str], float] = field(default_factory=dict)
    snapshots: list[int] = field(default_factory=list)

    def last(self, name: str) -> float | None:
        for record in reversed(self.steps):
            if name in record.metrics:
                return record.metrics[name]
        return None


class _Snapshots:
    """Frozen past versions of the policy: their trained weights in memory (and on disk
    with a store), each served by its own generator, built when first asked for; with an
    ``engine`` (:class:`~redqueen.learn.llm.vllm_generator.VLLMGenerator`), by the
    engine's view of the version's LoRA adapter, saved in ``adapters``."""

    def __init__(
        self,
        model: Any,
        make_generator: Callable[[Any], Any],
        engine: Any = None,
        adapters: Path | None = None,
    ) -> None:
        self.model = model
        self.make_generator = make_generator
        self.engine = engine
        self.adapters = adapters
        self.weights: dict[int, dict[str, Any]] = {}
        self.generators: dict[int, Any] = {}
        self.policies: dict[tuple[int, str], Any] = {}
        """Each snapshot's induced policy per game: its weights never change."""

    def add(self, version: int, state: dict[str, Any]) -> None:
        self.weights[version] = state

    def adapter(self, version: int, model: Any) -> Any:
        """The engine's generator of ``version``, whose weights ``model`` has now (its
        adapter is written once, then only read)."""
        from redqueen.learn.llm.learner import save_adapter

        path = self._adapter_path(version)
        if not (path / "adapter_config.json").is_file():
            save_adapter(model, path)
        return self.engine.adapter(version, path)

    def _adapter_path(self, version: int) -> Path:
        assert self.adapters is not None
        return self.adapters / f"v{version}"

    def generator(self, version: int) -> Any:
        """The generator that plays snapshot ``version``."""
        if self.engine is not None:
            return self.engine.adapter(version, self._adapter_path(version))
        return self.frozen(version)

    def frozen(self, version: int) -> Any:
        """A transformers generator over a frozen copy of snapshot ``version`` (its
        ``model`` scores the induced policy)."""
        from redqueen.learn.llm.learner import load_trained_weights

        if version not in self.generators:
            frozen = copy.deepcopy(self.model)
            load_trained_weights(frozen, self.weights[version])
            frozen.eval()
            for p in frozen.parameters():
                p.requires_grad_(False)
            for old in [v for v in self.generators if v != version][: len(self.generators) - 7]:
                del self.generators[old]  # keep the last few built
            self.generators[version] = self.make_generator(frozen)
        return self.generators[version]

    def induced_policy(self, version: int, prompter: Any, game: Game, label: str) -> Any:
        """The policy snapshot ``version`` induces on ``game`` (labelled ``label``), computed
        once."""
        from redqueen.learn.llm.policy import induced_policy

        key = (version, label)
        if key not in self.policies:
            self.policies[key] = induced_policy(self.frozen(version).model, prompter, game)
        return self.policies[key]


PAST_SAMPLING: tuple[str, ...] = ("uniform", "pfsp", "gated")


@dataclass
class PastOpponents:
    """How ``past`` opponents are drawn (:attr:`LoopConfig.past_sampling`) and the trained
    seat's results against each snapshot, which PFSP and the gate read; kept in the
    checkpoint, so a resumed run draws as the uninterrupted one."""

    config: LoopConfig
    results: dict[int, list[float]] = field(default_factory=dict)
    """Snapshot version -> [wins (a draw counts half), games] of the trained seat."""
    gate: GatedRotation = field(init=False)

    def __post_init__(self) -> None:
        self.gate = GatedRotation(
            threshold=self.config.gate_threshold, min_games=self.config.gate_min_games
        )

    def draw(self, versions: Sequence[int], rng: np.random.Generator) -> int:
        """One snapshot from ``versions`` (every snapshot, oldest first)."""
        config = self.config
        if config.past_sampling == "gated":
            return int(versions[min(self.gate.current, len(versions) - 1)])
        window = list(versions)[-config.past_window :]
        if config.past_sampling == "uniform":
            return int(window[int(rng.integers(len(window)))])
        weights = pfsp_weights(self.win_rates(window), config.pfsp_weighting)  # type: ignore[arg-type]
        return int(window[int(rng.choice(len(window), p=weights))])

    def win_rates(self, versions: Sequence[int]) -> list[float]:
        """The trained seat's win rate against each of ``versions``, with one half-won
        game of prior (0.5 for a snapshot it has not met)."""
        out = []
        for v in versions:
            wins, games = self.results.get(v, [0.0, 0.0])
            out.append((wins + 0.5) / (games + 1.0))
        return out

    def observe(self, faced: Sequence[tuple[int, float]], versions: Sequence[int]) -> None:
        """Count a step's results, ``(snapshot, score)`` per game against a past
        snapshot, and move the gate on if the trained seat passed it."""
        for v, score in faced:
            wins, games = self.results.get(v, [0.0, 0.0])
            self.results[v] = [wins + score, games + 1.0]
        if self.config.past_sampling != "gated" or self.gate.current >= len(versions):
            return
        current = versions[self.gate.current]
        scores = [score for v, score in faced if v == current]
        self.gate.observe(float(sum(scores)), len(scores), len(versions))

    def state(self) -> dict[str, Any]:
        """What the checkpoint keeps."""
        return {
            "results": [[v, w, g] for v, (w, g) in sorted(self.results.items())],
            "gate": [self.gate.current, self.gate.wins, self.gate.games],
        }

    def load(self, state: dict[str, Any] | None) -> None:
        """Restore :meth:`state` (None: a checkpoint from before it was kept)."""
        if not state:
            return
        self.results = {int(v): [float(w), float(g)] for v, w, g in state["results"]}
        current, wins, games = state["gate"]
        self.gate.current, self.gate.wins, self.gate.games = int(current), float(wins), int(games)


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence(parts).generate_state(1)[0])


def train(
    model: Any,
    tokenizer: Any,
    games: Sequence[Game],
    protocol: Protocol,
    learner: Any,
    config: LoopConfig,
    store: RunStore | None = None,
    progress: Callable[[int, int], None] | None = None,
    held_out: Sequence[Game] = (),
    engine: Any = None,
) -> LoopResult:
    """Train ``model`` (wrapped by ``learner``, a :class:`~redqueen.learn.llm.learner.Learner`)
    by playing ``games`` in turn, and evaluate it on them and on ``held_out``; see the
    module docstring. With ``engine`` (a
    :class:`~redqueen.learn.llm.vllm_generator.VLLMGenerator` over the same base model),
    the games are sampled by vLLM: ``model`` must be a LoRA model, whose adapter is saved
    for every policy version and hot-swapped into the engine."""
    import torch

    from redqueen.learn.llm.generators import TransformersGenerator
    from redqueen.learn.llm.learner import trained_weights

    if not games:
        raise InvalidParameterError("games: name at least one game")
    games = initial = list(games)
    prompter = Prompter(tokenizer, protocol.prompt_style)

    def make_generator(weights: Any) -> TransformersGenerator:
        return TransformersGenerator(weights, tokenizer)

    directory = store.dir / ALGORITHM if store is not None else None
    scratch = None
    adapters = None
    if engine is not None:
        if not hasattr(model, "disable_adapter"):
            raise InvalidParameterError(
                "sampling with vLLM needs a LoRA model (model.lora): its adapters are what "
                "the engine swaps in, version by version"
            )
        if config.rollout_actors:
            raise InvalidParameterError("rollout_actors play with transformers, not with vLLM")
        if directory is None:
            scratch = tempfile.TemporaryDirectory()
            adapters = Path(scratch.name)
        else:
            adapters = directory / "adapters"
    current = make_generator(model)
    snapshots = _Snapshots(model, make_generator, engine, adapters)
    log = MetricLog(store)
    baselines: dict[tuple[str, int | str], float] = {}
    episodes = 0
    start = 0
    population = PastOpponents(config)
    if store is not None and directory is not None:
        saved = store.get_meta(ALGORITHM)
        if saved is not None:
            state = torch.load(directory / saved["checkpoint"], weights_only=True)
            learner.load_state_dict(state)
            baselines = {(g, r): float(b) for g, r, b in saved["baselines"]}
            episodes = int(saved["episodes"])
            start = int(saved["step"])
            for version in saved["snapshots"]:
                snapshots.add(
                    version,
                    torch.load(directory / "snapshots" / f"v{version}.pt", weights_only=True),
                )
            games = _restored_games(games, saved.get("games"))
            population.load(saved.get("past"))
    result = LoopResult(resumed_from=start)
    remote = None
    if config.rollout_actors:
        from redqueen.learn.llm.ray_collector import RayCollector

        remote = RayCollector(model, tokenizer, protocol, actors=config.rollout_actors)
    if not snapshots.weights:
        snapshots.add(0, trained_weights(model))
        _save_snapshot(directory, 0, snapshots.weights[0])
    if progress is not None:
        progress(start, config.steps)
    for step in range(start + 1, config.steps + 1):
        metrics: dict[str, float] = {}
        version = step - 1  # the weights that play this step's games
        if engine is not None:  # the sync: the updated adapter saved and swapped in
            ts = time.perf_counter()
            current = snapshots.adapter(version, model)
            metrics["seconds/sync"] = time.perf_counter() - ts
        generators = {version: current}
        seats = []
        faced: list[list[tuple[int, int]]] = []  # per game: (past snapshot, trained seat)
        for k in range(config.games_per_step):
            game, spec, trained = training_schedule(config, episodes + k, games)
            start = episodes + k - (episodes + k) % config.group_size  # its group's first
            players, past = _players(
                game, config, spec, trained, start, version, snapshots, step, population
            )
            for v in past:
                generators[v] = snapshots.generator(v)
            seats.append((game, players))
            faced.append([(v, trained) for v in past])
        t0 = time.perf_counter()
        if remote is not None:
            weights = {v: snapshots.weights[v] for v in generators if v != version}
            weights[version] = model.state_dict()
            records = remote.play(
                seats,
                weights,
                seed=_seed(config.seed, step, 1),
                first_episode=episodes,
                group_size=config.group_size,
            )
        else:
            collector = Collector(protocol, generators, prompter, stop_ids=[])
            records = collector.play(
                seats,
                seed=_seed(config.seed, step, 1),
                first_episode=episodes,
                group_size=config.group_size,
            )
        t1 = time.perf_counter()
        metrics["seconds/collect"] = t1 - t0
        episodes += len(records)
        games = remembered(games, [game for game, _ in seats], records)
        results = [
            (v, SCORES[record.outcome(seat)])
            for record, pairs in zip(records, faced, strict=True)
            for v, seat in pairs
        ]
        versions = sorted(snapshots.weights)
        population.observe(results, versions)
        if results:
            metrics["population/past_win_rate"] = float(np.mean([x for _, x in results]))
        if config.past_sampling == "gated":
            metrics["population/gate_opponent"] = float(
                versions[min(population.gate.current, len(versions) - 1)]
            )
        samples, traces, episode_of = _samples_and_traces(records)
        advantages, baselines = _advantages(traces, episode_of, baselines, config)
        kept = _assign(samples, advantages, config.filter_zero)
        metrics["seconds/advantages"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        decisions = [s for r in records for s in r.samples]
        tokens = sum(len(s.completion_ids) for s in decisions)
        metrics["train/legal_rate"] = (
            float(np.mean([s.valid for s in decisions])) if decisions else float("nan")
        )
        metrics["train/invalid_game_rate"] = float(
            np.mean([r.invalid_by is not None for r in records])
        )
        metrics["train/response_length"] = tokens / len(decisions) if decisions else float("nan")
        metrics["train/samples"] = float(len(decisions))
        metrics["train/kept_samples"] = float(len(kept))
        collect = metrics["seconds/collect"]
        metrics["speed/tokens_per_s"] = tokens / max(collect, 1e-9)
        metrics["speed/games_per_s"] = len(records) / max(collect, 1e-9)
        if kept:
            stats = learner.step(kept, seed=_seed(config.seed, step, 2))
            names = ("loss", "entropy", "entropy_weight", "logprob_gap", "clip_fraction")
            for name in (*names, "grad_norm"):
                if name in stats:
                    metrics[f"train/{name}"] = float(stats[name])
        metrics["seconds/update"] = time.perf_counter() - t1
        for (g, r), b in sorted(baselines.items(), key=str):
            metrics[f"baseline/{g}/{r}"] = b
        if step % config.snapshot_every == 0:
            snapshots.add(step, trained_weights(model))
            _save_snapshot(directory, step, snapshots.weights[step])
            if engine is not None:
                snapshots.adapter(step, model)  # a past version the engine may serve
        if config.eval_every and (step % config.eval_every == 0 or step == config.steps):
            t2 = time.perf_counter()
            # the updated weights play: with vLLM, their adapter (next step's version)
            updated = snapshots.adapter(step, model) if engine is not None else current
            metrics.update(
                evaluate(
                    model,
                    tokenizer,
                    [*games, *held_out],
                    protocol,
                    config,
                    step,
                    updated,
                    snapshots,
                )
            )
            metrics["seconds/evaluate"] = time.perf_counter() - t2
        for name, value in metrics.items():
            if np.isfinite(value):
                log.log(name, value, step)
        result.steps.append(StepRecord(step, metrics))
        if store is not None and (step % config.checkpoint_every == 0 or step == config.steps):
            _checkpoint(
                store,
                learner,
                step,
                baselines,
                episodes,
                sorted(snapshots.weights),
                [
                    g.params if g is not first else None
                    for g, first in zip(games, initial, strict=True)
                ],
                population.state(),
            )
        if progress is not None:
            progress(step, config.steps)
    result.baselines = baselines
    result.snapshots = sorted(snapshots.weights)
    if scratch is not None:
        scratch.cleanup()
    return result


def remembered(
    games: Sequence[Game], played: Sequence[Game], records: Sequence[EpisodeRecord]
) -> list[Game]:
    """Each game after this step: rebuilt with what its plays left
    (:meth:`~redqueen.games.core.Game.remember`; ``played[k]`` is ``records[k]``'s game).
    Most games remember nothing and come back as they were."""
    out = []
    for game in games:
        memories = [r.memory for g, r in zip(played, records, strict=True) if g is game]
        out.append(game.remember(memories) if memories else game)
    return out


def _restored_games(games: list[Game], saved: list[dict[str, Any] | None] | None) -> list[Game]:
    """The games as a checkpoint left them: rebuilt from the saved parameters of each
    game that had remembered something."""
    from redqueen.games.registry import make

    if not saved:
        return games
    if len(saved) != len(games):
        raise RedqueenError(
            f"the checkpoint has {len(saved)} games and the run {len(games)}; resume it with "
            "the recipe it was started with"
        )
    return [
        g if params is None else make(g.id, **params)
        for g, params in zip(games, saved, strict=True)
    ]


def training_schedule(
    config: LoopConfig, episode: int, games: Sequence[Game]
) -> tuple[Game, str, int]:
    """Episode ``episode``'s game, opponent and trained seat: the three cycle as the
    digits of one counter (game fastest, then opponent, then seat), so that every game
    meets every opponent with the policy in every seat equally often. Cycling all three
    with the episode number itself would tie them together whenever their counts share
    a factor: with two opponents and two seats, the policy would take seat 1 in every
    game against past versions. The counter counts groups of ``config.group_size``
    episodes, so the games of a group share all three."""
    group = episode // config.group_size
    game = games[group % len(games)]
    turn = group // len(games)
    spec = config.opponents[turn % len(config.opponents)]
    return game, spec, _seat(config, turn // len(config.opponents), game.num_players)


def _players(
    game: Game,
    config: LoopConfig,
    spec: str,
    trained: int,
    episode: int,
    version: int,
    snapshots: _Snapshots,
    step: int,
    population: PastOpponents,
) -> tuple[list[SeatPlayer], list[int]]:
    """The players of one training game against ``spec`` (``self``: the policy in every
    seat; else the policy in seat ``trained``)."""
    n = game.num_players
    if spec == "self":
        return [PolicySeat(version) for _ in range(n)], []
    past: list[int] = []
    players: list[SeatPlayer] = []
    rng = np.random.default_rng(_seed(config.seed, step, 3, episode))
    for seat in range(n):
        if seat == trained:
            players.append(PolicySeat(version))
        elif spec == "past":
            v = population.draw(sorted(snapshots.weights), rng)
            past.append(v)
            players.append(PolicySeat(v, trained=False))
        else:
            players.append(parse_agent(spec))
    return players, past


SCORES = {"win": 1.0, "draw": 0.5, "loss": 0.0, "invalid": 0.0}
"""The trained seat's score in a game, for PFSP and the gate."""


def _seat(config: LoopConfig, episode: int, players: int) -> int:
    """The seat the trained policy takes in ``episode`` (against agents, past versions,
    evaluators)."""
    return config.seats[episode % len(config.seats)] if config.seats else episode % players


def _samples_and_traces(
    records: Sequence[EpisodeRecord],
) -> tuple[list[list[TurnSample]], list[SeatTrace], list[int]]:
    """Per trace (one trained seat of one game, in episode order), its samples in turn
    order, and the trace's episode."""
    samples: list[list[TurnSample]] = []
    traces: list[SeatTrace] = []
    episodes: list[int] = []
    for record in records:
        for trace in record.traces:
            seat_samples = sorted(
                (s for s in record.samples if s.seat == trace.role), key=lambda s: s.turn
            )
            if len(seat_samples) != len(trace.rewards):
                raise RedqueenError(
                    f"episode {record.episode}: {len(seat_samples)} samples for "
                    f"{len(trace.rewards)} turn rewards of seat {trace.role}"
                )
            samples.append(seat_samples)
            traces.append(trace)
            episodes.append(record.episode)
    return samples, traces, episodes


def grpo_groups(
    traces: Sequence[SeatTrace], episodes: Sequence[int], group_size: int
) -> list[list[int]]:
    """The trace indices of each GRPO group: one seat's traces in the games of one group
    of ``group_size`` episodes (episode ``e`` is in group ``e // group_size``)."""
    groups: dict[tuple[int, int | str], list[int]] = {}
    for i, (trace, episode) in enumerate(zip(traces, episodes, strict=True)):
        groups.setdefault((episode // group_size, trace.role), []).append(i)
    return list(groups.values())


def _advantages(
    traces: Sequence[SeatTrace],
    episodes: Sequence[int],
    baselines: dict[tuple[str, int | str], float],
    config: LoopConfig,
) -> tuple[list[np.ndarray], dict[tuple[str, int | str], float]]:
    if not traces:
        return [], baselines
    if config.estimator == "rae":
        return rae(traces, baselines, alpha=config.alpha, gamma=config.gamma)
    if config.estimator == "mars":
        return mars(traces, gamma=config.gamma), baselines
    if config.estimator == "grpo":
        return grpo(traces, grpo_groups(traces, episodes, config.group_size)), baselines
    return reinforce(traces, gamma=config.gamma), baselines


def _assign(
    samples: Sequence[Sequence[TurnSample]],
    advantages: Sequence[np.ndarray],
    filter_zero: bool,
) -> list[TurnSample]:
    """Each sample's advantage set; the samples to train on (all, or SPIRAL's non-zero)."""
    kept: list[TurnSample] = []
    masks = keep_nonzero(advantages) if filter_zero else [np.ones(len(a), bool) for a in advantages]
    for seat_samples, adv, keep in zip(samples, advantages, masks, strict=True):
        for sample, a, k in zip(seat_samples, adv, keep, strict=True):
            sample.advantage = float(a)
            if k:
                kept.append(sample)
    return kept


def evaluate(
    model: Any,
    tokenizer: Any,
    games: Sequence[Game],
    protocol: Protocol,
    config: LoopConfig,
    step: int,
    current: Any,
    snapshots: _Snapshots | None = None,
) -> dict[str, float]:
    """Win, draw, loss and invalid rates (with 95% Wilson intervals) and the mean reward of
    the current policy against each evaluator, seat-balanced (or in ``config.seats``); the
    induced policy's exploitability where the game compiles."""
    from redqueen.learn.llm.policy import checkpoint_mixture, induced_policy, policy_exploitability

    out: dict[str, float] = {}
    prompter = Prompter(tokenizer, protocol.prompt_style)
    collector = Collector(protocol, {step: current}, prompter)
    for game, label in zip(games, game_labels(games), strict=True):
        prefix = f"eval/{label}" if len(games) > 1 else "eval"
        for spec in config.evaluators:
            agent: Agent = parse_agent(spec)
            seats = []
            for k in range(config.eval_games):
                mine = _seat(config, k, game.num_players)
                seats.append(
                    (
                        game,
                        [
                            PolicySeat(step, trained=False) if p == mine else agent
                            for p in range(game.num_players)
                        ],
                    )
                )
            records = collector.play(seats, seed=_seed(config.seed, step, 4))
            counts = dict.fromkeys(OUTCOMES, 0)
            returns = []
            for k, record in enumerate(records):
                mine = _seat(config, k, game.num_players)
                counts[record.outcome(mine)] += 1
                returns.append(record.rewards[mine])
            out[f"{prefix}/{spec}/mean_reward"] = float(np.mean(returns))
            for outcome, count in counts.items():
                rate = rate_with_interval(count, len(records))
                out[f"{prefix}/{spec}/{outcome}_rate"] = float(rate["rate"])
                out[f"{prefix}/{spec}/{outcome}_low"] = float(rate["low"])
                out[f"{prefix}/{spec}/{outcome}_high"] = float(rate["high"])
        if _measures_exploitability(game, config.exploitability):
            policy = induced_policy(model, prompter, game)
            name = f"exploitability/{label}" if len(games) > 1 else "exploitability"
            out[name] = policy_exploitability(game, policy)
            for measure, value in policy_measures(game, policy).items():
                out[f"{prefix}/{measure}"] = value
            if snapshots is not None and len(snapshots.weights) > 1:
                policies = [
                    snapshots.induced_policy(version, prompter, game, label)
                    for version in sorted(snapshots.weights)
                ]
                out[f"{name}_mixture"] = policy_exploitability(
                    game, checkpoint_mixture(game, policies)
                )
    return out


def game_labels(games: Sequence[Game]) -> list[str]:
    """A name per game for metric names: its id, with its parameters where two games
    share an id (``openspiel:hanabi(colors=2,ranks=2,...)``)."""
    ids = [g.id for g in games]
    labels = []
    for game in games:
        if ids.count(game.id) > 1 and game.params:
            params = ",".join(f"{k}={v}" for k, v in sorted(game.params.items()))
            labels.append(f"{game.id}({params})")
        else:
            labels.append(game.id)
    return labels


def measurable_games(games: Sequence[Game]) -> list[str]:
    """Ids of the games whose exact exploitability the loop can measure."""
    return sorted({g.id for g in games if _compiles(g)})


def _measures_exploitability(game: Game, setting: bool | tuple[str, ...]) -> bool:
    if isinstance(setting, tuple):
        return game.id in setting and _compiles(game)
    return setting and _compiles(game) and not game.spec.perfect_information


def _compiles(game: Game) -> bool:
    spec = game.spec
    return (
        not spec.text_actions
        and spec.num_players == 2
        and spec.utility.value in ("zero_sum", "constant_sum")
        and spec.dynamics.value == "sequential"
    )


def _save_snapshot(directory: Path | None, version: int, weights: dict[str, Any]) -> None:
    if directory is None:
        return
    import torch

    path = directory / "snapshots" / f"v{version}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pt.tmp")
    torch.save(weights, tmp)
    tmp.replace(path)


def _checkpoint(
    store: RunStore,
    learner: Any,
    step: int,
    baselines: dict[tuple[str, int | str], float],
    episodes: int,
    snapshots: list[int],
    games: list[dict[str, Any] | None],
    past: dict[str, Any],
) -> None:
    """The learner's state to a new file, then (atomically) the meta record that points to
    it; the previous file is removed only after. ``games``: the parameters of each game
    that has remembered something (:meth:`~redqueen.games.core.Game.remember`), else None."""
    import torch

    directory = store.dir / ALGORITHM
    directory.mkdir(parents=True, exist_ok=True)
    name = f"checkpoint-{step}.pt"
    tmp = directory / (name + ".tmp")
    torch.save(learner.state_dict(), tmp)
    tmp.replace(directory / name)
    previous = store.get_meta(ALGORITHM)
    store.set_meta(
        ALGORITHM,
        {
            "step": step,
            "checkpoint": name,
            "baselines": [[g, r, b] for (g, r), b in sorted(baselines.items(), key=str)],
            "episodes": episodes,
            "snapshots": snapshots,
            "games": games,
            "past": past,
        },
    )
    if previous is not None and previous["checkpoint"] != name:
        (directory / previous["checkpoint"]).unlink(missing_ok=True)
