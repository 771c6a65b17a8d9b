"""Overcooked recipe kinds: ProAgent with scripted teammates, and PPO self-play.

``overcooked_proagent`` reproduces ProAgent's evaluation (Zhang et al., AAAI 2024;
PKU-Alignment/ProAgent ``src/main.py``): the LLM agent
(:class:`~redqueen.agents.hidden.overcooked.ProAgentLLM`) plays each of the five layouts
with the Greedy, Random and Stay teammates (the offline ones among the paper's partners;
its SP/PBT/FCP/MEP/COLE checkpoints are TF1 files from a hosted folder), in both seats,
for horizon-400 episodes. The metric is the mean episode return with its 95% interval,
both seats pooled and each alone. Beside it, the greedy agent in the LLM's seat with the
same teammate gives the scripted baseline (no LLM calls). Episodes run concurrently on
asyncio; every LLM call goes to the run's cache and transcripts, and every finished
episode is stored at once, so a killed run resumes where it stopped.

``overcooked_ppo`` trains a PPO self-play pair on one layout (cramped_room by default)
with 0.0.1's shaped rewards annealed linearly to zero over ``shaping_steps`` environment
steps (Carroll et al. 2019 anneal the shaping in the same way), then measures the pair's
sparse return against the greedy pair's. One network plays both seats, as in Carroll et
al.'s self-play runs. The games run in the batch engine
(:class:`~redqueen.games.batch.overcooked.OvercookedBatch`, the scalar game's rules), and
each seat sees its lossless encoding restricted to the entries that can change in the
layout (:meth:`~redqueen.games.batch.overcooked.OvercookedBatch.features`: nothing is
lost, and the first layer is nearly four times cheaper than on the whole tensor). The
PPO pieces (the actor-critic, sampling and every hyperparameter of
:class:`~redqueen.learn.ppo.PPOConfig`) are :mod:`redqueen.learn.ppo`'s; the rollout is
written here because that trainer's encoders cover two-player competitive games only,
while Overcooked is a common-payoff game in which the learner fills both seats. The run
stops after ``updates`` updates or ``time_budget_s`` seconds, whichever comes first; it
checkpoints after every update and resumes from the last.

Where it departs from Carroll et al.'s set-up (``human_aware_rl`` ``ppo/ppo.py`` and
``experiments/ppo_sp_experiments.sh`` for ``simple``, i.e. cramped_room: 30 games of 400
steps per update, 6 minibatches, 8 epochs, learning rate 1e-3, entropy 0.1, clip 0.05,
gradient norm 0.1, value coefficient 1, gamma 0.99, lambda 0.98, shaping annealed over
2.5M steps of 6M, and a network of 3 convolutions of 25 filters and 3 layers of 64), and
why: the run has 10 minutes on two CPU cores, not a GPU for hours, so the recipe keeps
gamma, lambda and the learning rate and uses CleanRL's PPO defaults and separate tanh
MLPs (64, 64) over the compact features, with 16 games per update and the shaping
annealed over 1M steps. The learner's rewards are multiplied by ``reward_scale`` (0.05: a
soup is worth 1): the actor and critic share one global gradient-norm clip (0.5), and
with raw rewards (20 a soup) the critic's gradient norm grows to 1.5-9 within 30 updates
while the actor's is about 0.1, so the clip shrank the actor's steps about twentyfold;
scaled, neither is clipped (seed 0: a training return of 112 after 640k steps unscaled,
196 scaled).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from redqueen.agents.core import Agent
from redqueen.agents.hidden.overcooked import (
    GreedyAgent,
    ProAgentLLM,
    SkillRecord,
    belief_accuracy,
    teammate,
)
from redqueen.agents.llm.backends import BackendError
from redqueen.agents.llm.context import CallSink, recording
from redqueen.errors import RedqueenError
from redqueen.experiments.base import (
    ProgressHook,
    RecipeBase,
    RecipeOutcome,
    optional_store,
    saved_progress,
)
from redqueen.experiments.llm_games import LLMConfig, RunOutcome, close_clients
from redqueen.games.batch.overcooked import OvercookedBatch
from redqueen.games.hidden.overcooked import OvercookedGame, overcooked
from redqueen.measure.statistics import MeanCI, mean_ci
from redqueen.play.match import MatchResult, aplay_match, play_match
from redqueen.play.schedule import ScheduledMatch, match_seed
from redqueen.report.overcooked import write_ppo_report, write_proagent_report
from redqueen.store.run_store import RunStore

Teammate = Literal["greedy", "random", "stay"]
LayoutName = Literal[
    "cramped_room",
    "asymmetric_advantages",
    "coordination_ring",
    "forced_coordination",
    "counter_circuit",
]


def interval(values: Sequence[float]) -> dict[str, Any]:
    """Mean episode return with its 95% Student-t interval, as plain data (None bounds
    below 2 episodes). Not the bounded score interval: the game's bound on a return (20
    per 4.5 steps) is far above any reachable score, which would make that interval
    several times wider than the spread of the returns warrants."""
    ci: MeanCI = mean_ci(list(values))
    finite = [v if math.isfinite(v) else None for v in (ci.mean, ci.low, ci.high)]
    return {"mean": finite[0], "low": finite[1], "high": finite[2], "n": ci.n}


# ---- ProAgent with scripted teammates ----------------------------------------------------


def _all_layouts() -> list[LayoutName]:
    return [
        "cramped_room",
        "asymmetric_advantages",
        "coordination_ring",
        "forced_coordination",
        "counter_circuit",
    ]


def _all_teammates() -> list[Teammate]:
    return ["greedy", "random", "stay"]


@dataclass
class Episode:
    """One episode to play: its key, the seats, and what it means."""

    key: str
    index: int
    game: OvercookedGame
    agents: list[Agent]
    seed: int
    info: dict[str, Any]


class OvercookedProAgentRecipe(RecipeBase):
    """``kind: overcooked_proagent``: ProAgent with scripted teammates (module docstring)."""

    kind: Literal["overcooked_proagent"] = "overcooked_proagent"
    llm: LLMConfig
    layouts: list[LayoutName] = Field(default_factory=lambda: _all_layouts(), min_length=1)
    teammates: list[Teammate] = Field(default_factory=lambda: _all_teammates(), min_length=1)
    episodes_per_seat: int = Field(1, ge=1, le=10_000)
    """Episodes per (layout, teammate) with the LLM in each seat."""
    horizon: int = Field(400, ge=1, le=100_000)
    belief: bool = True
    history: int = Field(1, ge=0, le=20)
    max_replans: int = Field(3, ge=0, le=10)
    baselines: bool = True
    """Also play the greedy agent in the LLM's seat (no LLM calls)."""

    def agent(self) -> ProAgentLLM:
        llm = self.llm
        return ProAgentLLM(
            belief=self.belief,
            history=self.history,
            max_replans=self.max_replans,
            model=llm.model,
            base_url=llm.base_url,
            api_key_env=llm.api_key_env,
            answer_format=llm.answer_format,
            temperature=llm.temperature,
            max_tokens=llm.max_tokens,
            max_concurrency=llm.max_concurrency,
            **llm.params,
        )

    def episodes(self) -> list[Episode]:
        llm = self.agent()
        out: list[Episode] = []
        players = ["proagent", "greedy"] if self.baselines else ["proagent"]
        for li, name in enumerate(self.layouts):
            game = overcooked(layout=name, horizon=self.horizon)
            for ti, mate in enumerate(self.teammates):
                for pi, player in enumerate(players):
                    for seat in (0, 1):
                        for k in range(self.episodes_per_seat):
                            ego: Agent = llm if player == "proagent" else GreedyAgent()
                            agents = [ego, teammate(mate)]
                            if seat == 1:
                                agents.reverse()
                            out.append(
                                Episode(
                                    key=f"{player}/{name}/{mate}/seat{seat}/{k}",
                                    index=len(out),
                                    game=game,
                                    agents=agents,
                                    seed=match_seed(self.seed, li, ti, pi, seat, k),
                                    info={
                                        "player": player,
                                        "layout": name,
                                        "teammate": mate,
                                        "seat": seat,
                                    },
                                )
                            )
        return out

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        store: RunStore | None = None
        sink: CallSink | None = None
        if out_dir is not None:
            from redqueen.store.llm_cache import LLMStore
            from redqueen.store.run_store import DB_NAME

            store = RunStore(out_dir)
            store.bind_config(self.model_dump(mode="json"), ignore=type(self).resumable_changes)
            sink = LLMStore(Path(out_dir) / DB_NAME)
        try:
            episodes = self.episodes()
            done = _stored(store)
            todo = [e for e in episodes if e.key not in done]
            if progress is not None:
                progress(len(episodes) - len(todo), len(episodes))
            played, failed = asyncio.run(
                _play(todo, store, sink, progress, len(episodes) - len(todo), len(episodes))
            )
            if store is not None:
                store.set_meta("failed_matches", failed)
            rows = proagent_rows({**done, **played}.values())
            outcome = RunOutcome(
                self.name,
                self.kind,
                {"rows": rows, "episodes": len(done) + len(played), "failed_matches": list(failed)},
                proagent_text(rows),
            )
            if out_dir is not None:
                (Path(out_dir) / "results.json").write_text(
                    json.dumps(outcome.to_dict(), indent=2, default=str)
                )
        finally:
            if store is not None:
                store.close()
            if sink is not None:
                sink.close()  # type: ignore[attr-defined]
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        with RunStore(run_dir) as store:
            config = store.config()
            failed = store.get_meta("failed_matches") or {}
            results = _stored(store)
        rows = proagent_rows(results.values())
        return write_proagent_report(
            run_dir, config, rows, {str(k): str(v) for k, v in failed.items()}
        )


@dataclass
class EpisodeResult:
    info: dict[str, Any]
    result: MatchResult
    records: list[dict[str, Any]]


def _stored(store: RunStore | None) -> dict[str, EpisodeResult]:
    if store is None:
        return {}
    out = {}
    for match, result in store.matches():
        extra = store.get_meta(f"episode:{match.key}", {})
        out[match.key] = EpisodeResult(extra.get("info", {}), result, extra.get("records", []))
    return out


async def _play(
    episodes: Sequence[Episode],
    store: RunStore | None,
    sink: CallSink | None,
    progress: ProgressHook | None,
    offset: int,
    total: int,
) -> tuple[dict[str, EpisodeResult], dict[str, str]]:
    played: dict[str, EpisodeResult] = {}
    failed: dict[str, str] = {}
    count = offset

    async def one(e: Episode) -> None:
        nonlocal count
        names = [type(a).__name__ for a in e.agents]
        try:
            with recording(e.key, sink, names):
                result = await aplay_match(e.game, e.agents, e.seed)
        except BackendError as err:
            if getattr(err, "stops_run", False):
                raise
            failed[e.key] = str(err)
            return
        records: list[SkillRecord] = []
        for agent in {id(a): a for a in e.agents}.values():
            if isinstance(agent, ProAgentLLM):
                records.extend(agent.pop_records(e.key))
        dicts = [r.to_dict() for r in records]
        if store is not None:
            store.set_meta(f"episode:{e.key}", {"info": e.info, "records": dicts})
            store.record_match(ScheduledMatch(e.key, e.index, (0, 1), e.seed), result)
        played[e.key] = EpisodeResult(e.info, result, dicts)
        count += 1
        if progress is not None:
            progress(count, total)

    try:
        await asyncio.gather(*(one(e) for e in episodes))
    finally:
        await close_clients([a for e in episodes for a in e.agents])
    return played, failed


def proagent_rows(results: Any) -> list[dict[str, Any]]:
    """Per (layout, teammate): ProAgent's returns (both seats, and each), the greedy
    baseline's, and what the LLM did."""
    groups: dict[tuple[str, str], list[EpisodeResult]] = {}
    for r in results:
        groups.setdefault((r.info["layout"], r.info["teammate"]), []).append(r)
    rows = []
    for (layout, mate), group in groups.items():
        llm = [r for r in group if r.info["player"] == "proagent"]
        greedy = [r for r in group if r.info["player"] == "greedy"]
        records = [SkillRecord(**d) for r in llm for d in r.records]
        hits, scored = belief_accuracy(records)
        episodes = max(1, len(llm))
        rows.append(
            {
                "layout": layout,
                "teammate": mate,
                "llm": interval([r.result.returns[0] for r in llm]),
                "llm_seat0": interval([r.result.returns[0] for r in llm if r.info["seat"] == 0]),
                "llm_seat1": interval([r.result.returns[0] for r in llm if r.info["seat"] == 1]),
                "greedy": interval([r.result.returns[0] for r in greedy]),
                "skills_per_episode": sum(r.skill is not None for r in records) / episodes,
                "refused": sum(len(r.failures) for r in records),
                "unreadable": sum(r.unreadable for r in records),
                "belief_hits": hits,
                "belief_scored": scored,
            }
        )
    return rows


def proagent_text(rows: Sequence[dict[str, Any]]) -> str:
    lines = ["layout / teammate: ProAgent mean return [95% CI] | greedy in its seat"]
    for r in rows:
        llm, greedy = r["llm"], r["greedy"]
        lines.append(f"{r['layout']} / {r['teammate']}: {_short(llm)} | {_short(greedy)}")
    return "\n".join(lines)


def _short(cell: dict[str, Any]) -> str:
    if not cell["n"]:
        return "-"
    low = "nan" if cell["low"] is None else f"{cell['low']:.1f}"
    high = "nan" if cell["high"] is None else f"{cell['high']:.1f}"
    return f"{cell['mean']:.1f} [{low}, {high}] (n={cell['n']})"


# ---- PPO self-play --------------------------------------------------------------------------


def greedy_pair_returns(game: OvercookedGame, episodes: int, seed: int) -> list[float]:
    """Sparse returns of ``episodes`` greedy-pair episodes."""
    return [
        play_match(game, [GreedyAgent(), GreedyAgent()], match_seed(seed, k)).returns[0]
        for k in range(episodes)
    ]


class OvercookedPPORecipe(RecipeBase):
    """``kind: overcooked_ppo``: PPO self-play with annealed shaped rewards (module
    docstring). ``ppo`` holds :class:`~redqueen.learn.ppo.PPOConfig` fields."""

    kind: Literal["overcooked_ppo"] = "overcooked_ppo"
    progress_unit: ClassVar[tuple[str, str]] = ("update", "updates")
    resumable_changes: ClassVar[tuple[str, ...]] = ("description", "time_budget_s", "updates")
    layout: LayoutName = "cramped_room"
    horizon: int = Field(400, ge=1, le=100_000)
    updates: int = Field(1000, ge=1, le=1_000_000)
    time_budget_s: float = Field(600.0, gt=0)
    """Training stops when this many seconds have passed (checked after each update)."""
    shaping_steps: int = Field(1_000_000, ge=0)
    """Environment steps over which the shaped reward's weight falls from 1 to 0."""
    reward_scale: float = Field(0.05, gt=0.0, le=1000.0)
    """The learner's rewards (sparse and shaped) are multiplied by this (module
    docstring); the score is not."""
    eval_episodes: int = Field(20, ge=1, le=100_000)
    torch_threads: int = Field(1, ge=1, le=256)
    ppo: dict[str, Any] = Field(default_factory=dict)

    @field_validator("ppo")
    @classmethod
    def _ppo_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        from redqueen.experiments.self_play import ppo_config

        ppo_config(value)
        return value

    def stored_units(self, run_dir: Path) -> int:
        return saved_progress(run_dir, "ppo_state")

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        from redqueen.experiments.self_play import ppo_config

        game = overcooked(layout=self.layout, horizon=self.horizon)
        with optional_store(out_dir) as store:
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=type(self).resumable_changes)
            trainer = SelfPlayPPO(
                game, ppo_config(self.ppo), self.seed, self.torch_threads, self.reward_scale
            )
            checkpoint = None if out_dir is None else Path(out_dir) / "ppo.pt"
            if checkpoint is not None and checkpoint.is_file():
                trainer.load(checkpoint)
            start = time.perf_counter() - trainer.seconds
            while trainer.updates < self.updates:
                if time.perf_counter() - start >= self.time_budget_s:
                    break
                trainer.train_iteration(self.shaping_steps)
                trainer.seconds = time.perf_counter() - start
                if checkpoint is not None and store is not None:
                    trainer.save(checkpoint)
                    store.set_meta("ppo_state", {"update": trainer.updates})
                if progress is not None:
                    progress(trainer.updates, self.updates)
            ppo = trainer.evaluate(self.eval_episodes, match_seed(self.seed, 1))
            greedy = greedy_pair_returns(game, self.eval_episodes, match_seed(self.seed, 2))
            result: dict[str, Any] = {
                "curve": trainer.curve,
                "ppo": interval(ppo),
                "greedy": interval(greedy),
                "seconds": trainer.seconds,
                "env_steps": trainer.env_steps,
                "updates": trainer.updates,
            }
            if store is not None:
                store.set_meta("result", result)
        text = (
            f"PPO self-play on {self.layout}: {trainer.updates} updates, {trainer.env_steps} "
            f"environment steps in {trainer.seconds:.0f} s\n"
            f"PPO pair: {_short(result['ppo'])}\ngreedy pair: {_short(result['greedy'])}"
        )
        outcome = RunOutcome(self.name, self.kind, result, text)
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        with RunStore(run_dir) as store:
            config = store.config()
            result = store.get_meta("result") or {}
        return write_ppo_report(run_dir, config, result)


class SelfPlayPPO:
    """One policy in both seats of ``num_envs`` Overcooked games, trained with PPO on the
    team's sparse reward plus the annealed shaped reward, both times ``reward_scale``
    (see the module docstring)."""

    def __init__(
        self,
        game: OvercookedGame,
        config: Any,
        seed: int,
        threads: int = 1,
        reward_scale: float = 1.0,
    ) -> None:
        import torch

        from redqueen.learn.ppo import ActorCritic

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.game = game
        self.config = config
        self.reward_scale = reward_scale
        self.rng = np.random.default_rng(seed)
        self.engine = OvercookedBatch(game, config.num_envs)
        self.num_features = self.engine.num_features
        self.net = ActorCritic(self.num_features, 6, config.hidden)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=config.learning_rate, eps=1e-5)
        self.updates = 0
        self.env_steps = 0
        self.seconds = 0.0
        self.curve: list[dict[str, float]] = []

    def _policy(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch

        from redqueen.learn.ppo import sample_from

        with torch.no_grad():
            xt = torch.from_numpy(x)
            logits = self.net.actor(xt)
            logp = torch.log_softmax(logits, dim=-1)
            value = self.net.value(xt).numpy()
        probs = logp.exp().double().numpy()
        actions = sample_from(probs, self.rng)
        return actions, logp.numpy()[np.arange(len(actions)), actions], value

    def train_iteration(self, shaping_steps: int) -> None:
        """Play every game of the batch to the horizon, then one PPO update."""
        cfg = self.config
        n = cfg.num_envs
        env = self.engine
        env.reset()
        xs, acts, logps, values, rewards = [], [], [], [], []
        for _ in range(self.game.horizon):
            weight = max(0.0, 1.0 - self.env_steps / shaping_steps) if shaping_steps else 0.0
            x = env.features().reshape(2 * n, -1)
            a, logp, v = self._policy(x)
            before = env.sparse_returns() + weight * env.shaped
            env.step_joint(a.reshape(n, 2))
            gain = env.sparse_returns() + weight * env.shaped - before
            self.env_steps += n
            xs.append(x)
            acts.append(a)
            logps.append(logp.astype(np.float32))
            values.append(v.astype(np.float32))
            rewards.append(np.repeat(gain * self.reward_scale, 2).astype(np.float32))
        # GAE over the fixed horizon; the episode ends at the last step (no bootstrap).
        steps = len(rewards)
        adv = np.zeros((steps, 2 * n), np.float32)
        last = np.zeros(2 * n, np.float32)
        for t in reversed(range(steps)):
            v_next = values[t + 1] if t + 1 < steps else np.zeros(2 * n, np.float32)
            delta = rewards[t] + cfg.gamma * v_next - values[t]
            last = delta + cfg.gamma * cfg.gae_lambda * last
            adv[t] = last
        returns = adv + np.stack(values)
        self._update(
            np.concatenate(xs),
            np.concatenate(acts),
            np.concatenate(logps),
            adv.reshape(-1),
            returns.reshape(-1),
        )
        self.updates += 1
        self.curve.append(
            {
                "update": self.updates,
                "env_steps": self.env_steps,
                "sparse": float(env.sparse_returns().mean()),
                "shaped": float(env.shaped.mean()),
            }
        )

    def _update(
        self, x: np.ndarray, a: np.ndarray, old_logp: np.ndarray, adv: np.ndarray, ret: np.ndarray
    ) -> None:
        """PPO's clipped objective, as :meth:`redqueen.learn.ppo.PPOTrainer.update`."""
        import torch
        from torch import nn

        cfg = self.config
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.learning_rate
        xt, at = torch.from_numpy(x), torch.from_numpy(a)
        lt, advt, rt = torch.from_numpy(old_logp), torch.from_numpy(adv), torch.from_numpy(ret)
        total = len(a)
        size = max(1, total // cfg.num_minibatches)
        self.net.train()
        for _ in range(cfg.update_epochs):
            order = torch.from_numpy(self.rng.permutation(total))
            for begin in range(0, total, size):
                mb = order[begin : begin + size]
                logp_all = torch.log_softmax(self.net.actor(xt[mb]), dim=-1)
                entropy = -(logp_all.exp() * logp_all).sum(-1).mean()
                logp = logp_all.gather(1, at[mb, None]).squeeze(1)
                ratio = (logp - lt[mb]).exp()
                m_adv = advt[mb]
                if cfg.norm_adv and len(mb) > 1:
                    m_adv = (m_adv - m_adv.mean()) / (m_adv.std() + 1e-8)
                clipped = torch.clamp(ratio, 1 - cfg.clip_coef, 1 + cfg.clip_coef)
                pg_loss = torch.max(-m_adv * ratio, -m_adv * clipped).mean()
                v_loss = 0.5 * ((self.net.value(xt[mb]) - rt[mb]) ** 2).mean()
                loss = pg_loss - cfg.ent_coef * entropy + cfg.vf_coef * v_loss
                self.optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(self.net.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
        self.net.eval()

    def evaluate(self, episodes: int, seed: int) -> list[float]:
        """Sparse returns of ``episodes`` self-play episodes, sampling from the policy."""
        rng, self.rng = self.rng, np.random.default_rng(seed)
        try:
            env = OvercookedBatch(self.game, episodes)
            for _ in range(self.game.horizon):
                a, _, _ = self._policy(env.features().reshape(2 * episodes, -1))
                env.step_joint(a.reshape(episodes, 2))
            return [float(r) for r in env.sparse_returns()]
        finally:
            self.rng = rng

    def save(self, path: Path) -> None:
        import torch

        tmp = path.with_name(path.name + ".tmp")
        torch.save(
            {
                "net": self.net.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "rng": json.dumps(self.rng.bit_generator.state),
                "updates": self.updates,
                "env_steps": self.env_steps,
                "seconds": self.seconds,
                "curve": json.dumps(self.curve),
            },
            tmp,
        )
        tmp.replace(path)

    def load(self, path: Path) -> None:
        import torch

        state = torch.load(path, weights_only=True)
        if not isinstance(state, dict) or "net" not in state:
            raise RedqueenError(f"{path} is not an overcooked PPO checkpoint")
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = json.loads(state["rng"])
        self.updates = int(state["updates"])
        self.env_steps = int(state["env_steps"])
        self.seconds = float(state["seconds"])
        self.curve = json.loads(state["curve"])
