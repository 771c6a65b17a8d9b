"""Emergent communication in referential games: self-play, supervision, populations.

Speakers and listeners for :mod:`redqueen.games.referential`, small enough to train on a
CPU in seconds, and the two population procedures compared by Gupta, Lanctot & Lazaridou
(NeurIPS 2021, "Dynamic population-based meta-learning for multi-agent communication with
natural language", arXiv:2110.14241).

**Agents.** Objects are one-hot codes of their properties (``F = properties x values``
numbers). A :class:`Speaker` says word ``k`` of its message from logits ``W[k] f + c[k]``
(one softmax over the vocabulary per position). A :class:`Listener` reads the message as
one one-hot block per position (``L x V`` numbers, ``m``): in the Lewis game it scores
candidate ``j`` by ``m^T A f_j`` and picks the best; in object reconstruction it names
property ``p`` by the logits ``B[p] m + b[p]``. Both are linear, so a compositional
language (such as the bot language) is one they can speak and read exactly.

**Self-play** (:func:`train_pair`) trains a speaker and a listener together with the
straight-through Gumbel-softmax estimator, as s2p does: the speaker samples each word
from ``softmax((z + g) / tau)`` with Gumbel noise ``g``; the listener reads the one-hot
word and is trained by cross-entropy on the target, and that loss flows back to the
speaker's logits through the soft sample. **Supervision** on the bot language
(:func:`supervised_step`): cross-entropy of the speaker's words and of the listener's
choice on ``(object, bot message)`` pairs from a fixed seed set. As in s2p's schedule,
every self-play update is followed by a supervised update when there is seed data.
Updates use Adam (Kingma & Ba 2015).

**Meta-listener.** :func:`meta_train_listener` trains a listener to adapt quickly to a
partner: first-order MAML in the form of Reptile (Nichol, Achiam & Schulman 2018): for a
partner drawn from the population, a copy of the listener takes ``inner_steps`` SGD steps
on that partner's (greedy) messages, and the listener moves ``meta_lr`` of the way to the
copy. At test time (:func:`evaluate_listener`) it takes ``adapt_steps`` SGD steps on
``shots`` games with the new partner, then plays ``eval_games`` fresh games.

**Populations.** *Static* (:func:`static_population`): train ``population`` speaker and
listener pairs by self-play, each from its own seed, then meta-train one listener against
the fixed speakers for ``population x meta_steps`` steps. *Dynamic*
(:func:`dynamic_population`): for ``t = 0 .. population - 1``, meta-train the listener on
the current speakers (``meta_steps``; skipped while there are none), then train a new
speaker with a copy of the meta-listener as its partner (both learn, as in a MAML inner
loop that lasts a whole self-play run) and add the speaker; a last meta-training phase
covers the final speaker. Both procedures spend the same number of updates.

Deviations from the paper (no code was published; see ``roles.md`` section 7): linear
numpy agents on procedural objects instead of LSTMs on MS COCO features; a dynamic
population of speakers only (the paper also meta-trains a speaker); Reptile instead of
second-order MAML; the bot language as the "human" data and the "human" partner.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.agents.core import Agent, Observation
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import Game
from redqueen.games.referential import (
    LISTENER,
    SPEAKER,
    BotLanguage,
    LewisGame,
    ReconstructionGame,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Params = dict[str, FloatArray]

LEWIS, RECONSTRUCTION = "lewis", "reconstruction"


# ---- tasks and batches ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferentialTask:
    """The shape of a referential game: its kind (``lewis`` or ``reconstruction``), the
    object space, the vocabulary and message length, and the distractors (Lewis only)."""

    kind: str
    properties: int
    values: int
    vocabulary: int
    message_length: int
    distractors: int = 0

    @property
    def features(self) -> int:
        return self.properties * self.values

    @property
    def message_size(self) -> int:
        return self.message_length * self.vocabulary

    @property
    def num_objects(self) -> int:
        return int(self.values**self.properties)

    def bot_language(self, seed: int = 0) -> BotLanguage:
        return BotLanguage.generate(self.properties, self.values, self.vocabulary, seed)


def task_of(game: Game) -> ReferentialTask:
    """The :class:`ReferentialTask` of a Lewis or object-reconstruction game."""
    if isinstance(game, LewisGame):
        return ReferentialTask(
            LEWIS,
            game.properties,
            game.values,
            game.vocabulary,
            game.message_length,
            game.distractors,
        )
    if isinstance(game, ReconstructionGame):
        return ReferentialTask(
            RECONSTRUCTION, game.properties, game.values, game.vocabulary, game.message_length
        )
    raise RedqueenError(
        f"referential agents play lewis_game and object_reconstruction; got {game.id!r}"
    )


@dataclass(frozen=True)
class Batch:
    """Games to play: the targets (``n x properties`` values) and, in the Lewis game, the
    candidates (``n x (distractors + 1) x properties``, by object index) and the target's
    position among them."""

    objects: IntArray
    candidates: IntArray | None = None
    target: IntArray | None = None

    def __len__(self) -> int:
        return int(self.objects.shape[0])


def sample_batch(task: ReferentialTask, n: int, rng: np.random.Generator) -> Batch:
    """``n`` games drawn as the game's chance nodes draw them: uniform objects; in the
    Lewis game, distinct candidates listed by object index."""
    objects = rng.integers(task.values, size=(n, task.properties))
    return batch_for(task, objects, rng)


def batch_for(task: ReferentialTask, objects: IntArray, rng: np.random.Generator) -> Batch:
    """Games whose targets are ``objects``; in the Lewis game with ``distractors`` other
    objects drawn uniformly without replacement, all listed by object index."""
    objects = np.asarray(objects, dtype=np.int64)
    if task.kind == RECONSTRUCTION:
        return Batch(objects)
    n = len(objects)
    powers = task.values ** np.arange(task.properties - 1, -1, -1)
    index = objects @ powers
    keys = rng.random((n, task.num_objects))
    keys[np.arange(n), index] = np.inf
    others = np.argsort(keys, axis=1)[:, : task.distractors]
    order = np.sort(np.concatenate([index[:, None], others], axis=1), axis=1)
    target = np.argmax(order == index[:, None], axis=1)
    cands = (order[..., None] // powers) % task.values
    return Batch(objects, cands, target)


def one_hot_objects(objects: IntArray, task: ReferentialTask) -> FloatArray:
    """Objects (``... x properties`` values) as one-hot codes (``... x F``)."""
    offsets = np.arange(task.properties) * task.values
    out = np.zeros((*objects.shape[:-1], task.features))
    np.put_along_axis(out, objects + offsets, 1.0, axis=-1)
    return out


def one_hot_messages(messages: IntArray, task: ReferentialTask) -> FloatArray:
    """Messages (``n x L`` word ids; ids outside the vocabulary, like ``end``, are left
    blank) as ``n x (L V)`` one-hot blocks."""
    n = messages.shape[0]
    out = np.zeros((n, task.message_length, task.vocabulary))
    rows, cols = np.nonzero((messages >= 0) & (messages < task.vocabulary))
    out[rows, cols, messages[rows, cols]] = 1.0
    return out.reshape(n, task.message_size)


# ---- speaker and listener ------------------------------------------------------------------------


def _softmax(z: FloatArray) -> FloatArray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class Speaker:
    """A linear speaker: word ``k`` has logits ``W[k] f + c[k]`` for object code ``f``."""

    def __init__(self, task: ReferentialTask, rng: np.random.Generator, scale: float = 0.1):
        self.task = task
        L, V, F = task.message_length, task.vocabulary, task.features
        self.params: Params = {"W": rng.normal(0, scale, (L, V, F)), "c": np.zeros((L, V))}

    def logits(self, objects: IntArray) -> FloatArray:
        f = one_hot_objects(objects, self.task)
        return np.einsum("lvf,bf->blv", self.params["W"], f) + self.params["c"]

    def speak(self, objects: IntArray) -> IntArray:
        """The greedy messages (``n x L``) for ``objects``."""
        return np.argmax(self.logits(objects), axis=-1)

    def copy(self) -> Speaker:
        return copy.deepcopy(self)


class Listener:
    """A linear listener: bilinear candidate scores (Lewis) or per-property logits
    (object reconstruction) of the one-hot message."""

    def __init__(self, task: ReferentialTask, rng: np.random.Generator, scale: float = 0.1):
        self.task = task
        M, F = task.message_size, task.features
        if task.kind == LEWIS:
            self.params: Params = {"A": rng.normal(0, scale, (M, F))}
        else:
            P, K = task.properties, task.values
            self.params = {"B": rng.normal(0, scale, (P, K, M)), "b": np.zeros((P, K))}

    def scores(self, m: FloatArray, batch: Batch) -> FloatArray:
        """Candidate scores (``n x C``) or property logits (``n x P x K``)."""
        if self.task.kind == LEWIS:
            assert batch.candidates is not None
            fc = one_hot_objects(batch.candidates, self.task)
            return np.einsum("bm,mf,bcf->bc", m, self.params["A"], fc)
        return np.einsum("pkm,bm->bpk", self.params["B"], m) + self.params["b"]

    def choose(self, m: FloatArray, batch: Batch) -> IntArray:
        """The greedy choice: a candidate position, or a value per property."""
        return np.argmax(self.scores(m, batch), axis=-1)

    def correct(self, m: FloatArray, batch: Batch) -> NDArray[np.bool_]:
        """Which games the listener wins with messages ``m``."""
        choice = self.choose(m, batch)
        if self.task.kind == LEWIS:
            return np.asarray(choice == batch.target)
        return np.asarray((choice == batch.objects).all(axis=1))

    def loss_and_grads(self, m: FloatArray, batch: Batch) -> tuple[float, Params, FloatArray]:
        """Mean cross-entropy on the targets, its gradients by parameter, and by ``m``."""
        n = len(batch)
        s = self.scores(m, batch)
        p = _softmax(s)
        if self.task.kind == LEWIS:
            assert batch.candidates is not None and batch.target is not None
            fc = one_hot_objects(batch.candidates, self.task)
            loss = -np.log(p[np.arange(n), batch.target] + 1e-12).mean()
            ds = p.copy()
            ds[np.arange(n), batch.target] -= 1.0
            ds /= n
            grads = {"A": np.einsum("bc,bm,bcf->mf", ds, m, fc)}
            dm = np.einsum("bc,mf,bcf->bm", ds, self.params["A"], fc)
            return float(loss), grads, dm
        onehot = np.zeros_like(p)
        np.put_along_axis(onehot, batch.objects[..., None], 1.0, axis=-1)
        loss = -(np.log(p + 1e-12) * onehot).sum(axis=(1, 2)).mean()
        dl = (p - onehot) / n
        grads = {"B": np.einsum("bpk,bm->pkm", dl, m), "b": dl.sum(axis=0)}
        dm = np.einsum("bpk,pkm->bm", dl, self.params["B"])
        return float(loss), grads, dm

    def copy(self) -> Listener:
        return copy.deepcopy(self)


class Adam:
    """Adam (Kingma & Ba 2015) over a dict of arrays, updated in place."""

    def __init__(self, params: Params, lr: float, betas: tuple[float, float] = (0.9, 0.999)):
        self.params = params
        self.lr = lr
        self.betas = betas
        self.t = 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, grads: Params) -> None:
        b1, b2 = self.betas
        self.t += 1
        for k, g in grads.items():
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
            m_hat = self.m[k] / (1 - b1**self.t)
            v_hat = self.v[k] / (1 - b2**self.t)
            self.params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


# ---- configuration ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferentialConfig:
    """Every hyperparameter of self-play, supervision, meta-training and evaluation."""

    batch_size: int = 64
    """Games per update."""
    lr: float = 0.05
    """Adam step size of self-play and supervised updates."""
    temperature: float = 1.0
    """Gumbel-softmax temperature ``tau``."""
    selfplay_steps: int = 300
    """Updates that train one speaker (and its partner)."""
    bot_examples: int = 0
    """Size of the bot-language seed set (0: no supervision; s2p uses 0 or 1000)."""
    population: int = 4
    """Speakers in a population."""
    meta_steps: int = 150
    """Reptile steps per meta-training phase."""
    inner_steps: int = 3
    """SGD steps of a Reptile inner loop."""
    inner_lr: float = 1.0
    """SGD step size of the inner loop and of test-time adaptation."""
    meta_lr: float = 0.5
    """Fraction of the way the listener moves towards its adapted copy."""
    shots: int = 32
    """Games with a new partner that the listener adapts on at test time."""
    adapt_steps: int = 3
    """SGD steps of test-time adaptation (0: none)."""
    eval_games: int = 500
    """Fresh games per partner at test time."""
    held_out: int = 4
    """Independently trained speakers that no listener trains with."""

    def __post_init__(self) -> None:
        for name in ("batch_size", "selfplay_steps", "population", "eval_games", "shots"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be an integer >= 1; got {value!r}")
        for name in ("bot_examples", "meta_steps", "inner_steps", "adapt_steps", "held_out"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidParameterError(f"{name} must be an integer >= 0; got {value!r}")
        for name in ("lr", "temperature", "inner_lr"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value < 1e6):
                raise InvalidParameterError(f"{name} must be a number > 0; got {value!r}")
        if not (isinstance(self.meta_lr, int | float) and 0 < self.meta_lr <= 1):
            raise InvalidParameterError(f"meta_lr must be in (0, 1]; got {self.meta_lr!r}")


# ---- training steps --------------------------------------------------------------------------


@dataclass
class SeedData:
    """The bot-language seed set: objects and their bot messages."""

    objects: IntArray
    messages: IntArray

    def __len__(self) -> int:
        return int(self.objects.shape[0])


def bot_data(
    task: ReferentialTask, language: BotLanguage, n: int, rng: np.random.Generator
) -> SeedData:
    """``n`` uniform objects and the bot language's messages for them (padded with an
    out-of-vocabulary id where the message is shorter than the task's)."""
    if task.message_length < task.properties:
        raise InvalidParameterError(
            f"the bot language says one word per property: message_length must be at least "
            f"{task.properties}; got {task.message_length}"
        )
    objects = rng.integers(task.values, size=(n, task.properties))
    messages = np.full((n, task.message_length), task.vocabulary, dtype=np.int64)
    for i, obj in enumerate(objects):
        messages[i, : task.properties] = language.speak(obj)
    return SeedData(objects, messages)


def selfplay_step(
    speaker: Speaker,
    listener: Listener,
    batch: Batch,
    rng: np.random.Generator,
    temperature: float = 1.0,
) -> tuple[float, Params, Params]:
    """One straight-through Gumbel-softmax step: the loss and the gradients of the
    speaker's and the listener's parameters (nothing is updated)."""
    task = speaker.task
    z = speaker.logits(batch.objects)
    y = _softmax((z + rng.gumbel(size=z.shape)) / temperature)
    hard = np.zeros_like(y)
    np.put_along_axis(hard, y.argmax(axis=-1)[..., None], 1.0, axis=-1)
    m = hard.reshape(len(batch), task.message_size)
    loss, listener_grads, dm = listener.loss_and_grads(m, batch)
    dy = dm.reshape(y.shape)
    dz = y * (dy - (dy * y).sum(axis=-1, keepdims=True)) / temperature
    f = one_hot_objects(batch.objects, task)
    speaker_grads = {"W": np.einsum("blv,bf->lvf", dz, f), "c": dz.sum(axis=0)}
    return loss, speaker_grads, listener_grads


def speaker_supervised_grads(speaker: Speaker, data: SeedData, rows: IntArray) -> Params:
    """Gradients of the speaker's mean cross-entropy on the seed messages ``rows``."""
    task = speaker.task
    objects, messages = data.objects[rows], data.messages[rows]
    p = _softmax(speaker.logits(objects))
    said = messages < task.vocabulary
    target = np.zeros_like(p)
    b, k = np.nonzero(said)
    target[b, k, messages[b, k]] = 1.0
    dz = (p - target) * said[..., None] / len(rows)
    f = one_hot_objects(objects, task)
    return {"W": np.einsum("blv,bf->lvf", dz, f), "c": dz.sum(axis=0)}


def train_pair(
    speaker: Speaker,
    listener: Listener,
    config: ReferentialConfig,
    rng: np.random.Generator,
    steps: int | None = None,
    data: SeedData | None = None,
    train_listener: bool = True,
) -> list[float]:
    """Self-play ``steps`` updates (default ``config.selfplay_steps``), each followed by a
    supervised update on ``data`` when given. Returns the self-play losses."""
    task = speaker.task
    s_opt = Adam(speaker.params, config.lr)
    l_opt = Adam(listener.params, config.lr)
    losses = []
    for _ in range(config.selfplay_steps if steps is None else steps):
        batch = sample_batch(task, config.batch_size, rng)
        loss, s_grads, l_grads = selfplay_step(speaker, listener, batch, rng, config.temperature)
        s_opt.step(s_grads)
        if train_listener:
            l_opt.step(l_grads)
        losses.append(loss)
        if data is not None and len(data):
            rows = rng.integers(len(data), size=min(config.batch_size, len(data)))
            s_opt.step(speaker_supervised_grads(speaker, data, rows))
            if train_listener:
                lb = batch_for(task, data.objects[rows], rng)
                m = one_hot_messages(data.messages[rows], task)
                l_opt.step(listener.loss_and_grads(m, lb)[1])
    return losses


def supervised_step(
    speaker: Speaker | None,
    listener: Listener | None,
    data: SeedData,
    rows: IntArray,
    lr: float,
    rng: np.random.Generator,
) -> None:
    """One plain SGD step of each given agent on the seed messages ``rows``."""
    if speaker is not None:
        for k, g in speaker_supervised_grads(speaker, data, rows).items():
            speaker.params[k] -= lr * g
    if listener is not None:
        task = listener.task
        batch = batch_for(task, data.objects[rows], rng)
        grads = listener.loss_and_grads(one_hot_messages(data.messages[rows], task), batch)[1]
        for k, g in grads.items():
            listener.params[k] -= lr * g


# ---- partners, meta-training and evaluation ----------------------------------------------


MessageSource = Callable[[IntArray], IntArray]
"""A partner as the listener meets it: objects (``n x properties``) to messages (``n x L``)."""


def speaker_source(speaker: Speaker) -> MessageSource:
    return speaker.speak


def bot_source(task: ReferentialTask, language: BotLanguage) -> MessageSource:
    """The bot language as a partner (messages padded to the task's length)."""

    def speak(objects: IntArray) -> IntArray:
        out = np.full((len(objects), task.message_length), task.vocabulary, dtype=np.int64)
        for i, obj in enumerate(objects):
            out[i, : task.properties] = language.speak(obj)
        return out

    return speak


def sgd_adapt(
    listener: Listener,
    source: MessageSource,
    batch: Batch,
    steps: int,
    lr: float,
) -> Listener:
    """A copy of ``listener`` after ``steps`` SGD steps on ``source``'s messages for
    ``batch``."""
    fast = listener.copy()
    m = one_hot_messages(source(batch.objects), listener.task)
    for _ in range(steps):
        for k, g in fast.loss_and_grads(m, batch)[1].items():
            fast.params[k] -= lr * g
    return fast


def meta_train_listener(
    listener: Listener,
    partners: Sequence[MessageSource],
    config: ReferentialConfig,
    rng: np.random.Generator,
    steps: int | None = None,
) -> None:
    """Reptile: ``steps`` times (default ``config.meta_steps``), adapt a copy to a random
    partner and move ``meta_lr`` of the way to it."""
    if not partners:
        raise RedqueenError("meta-training needs at least one partner")
    for _ in range(config.meta_steps if steps is None else steps):
        source = partners[int(rng.integers(len(partners)))]
        batch = sample_batch(listener.task, config.batch_size, rng)
        fast = sgd_adapt(listener, source, batch, config.inner_steps, config.inner_lr)
        for k in listener.params:
            listener.params[k] += config.meta_lr * (fast.params[k] - listener.params[k])


def evaluate_listener(
    listener: Listener,
    source: MessageSource,
    config: ReferentialConfig,
    rng: np.random.Generator,
) -> int:
    """Games won of ``config.eval_games`` with partner ``source``, after adapting on
    ``config.shots`` games for ``config.adapt_steps`` SGD steps."""
    task = listener.task
    adapted = listener
    if config.adapt_steps:
        shots = sample_batch(task, config.shots, rng)
        adapted = sgd_adapt(listener, source, shots, config.adapt_steps, config.inner_lr)
    batch = sample_batch(task, config.eval_games, rng)
    m = one_hot_messages(source(batch.objects), task)
    return int(adapted.correct(m, batch).sum())


def pair_accuracy(
    speaker: Speaker, listener: Listener, games: int, rng: np.random.Generator
) -> float:
    """The fraction of ``games`` fresh games a pair wins with greedy messages."""
    batch = sample_batch(speaker.task, games, rng)
    m = one_hot_messages(speaker.speak(batch.objects), speaker.task)
    return float(listener.correct(m, batch).mean())


# ---- populations ------------------------------------------------------------------------------


@dataclass
class PopulationResult:
    """A trained meta-listener, its population of speakers, and what each phase cost."""

    listener: Listener
    speakers: list[Speaker]
    log: list[dict[str, Any]] = field(default_factory=list)


def _child(rng: np.random.Generator) -> np.random.Generator:
    return np.random.default_rng(int(rng.integers(2**63)))


def independent_speaker(
    task: ReferentialTask,
    config: ReferentialConfig,
    rng: np.random.Generator,
    data: SeedData | None = None,
) -> tuple[Speaker, Listener]:
    """A speaker and listener trained together by self-play (and supervision) alone."""
    speaker, listener = Speaker(task, rng), Listener(task, rng)
    train_pair(speaker, listener, config, rng, data=data)
    return speaker, listener


def static_population(
    task: ReferentialTask,
    config: ReferentialConfig,
    rng: np.random.Generator,
    data: SeedData | None = None,
) -> PopulationResult:
    """Train ``population`` independent pairs, then meta-train a listener on their
    speakers for ``population x meta_steps`` Reptile steps."""
    speakers, log = [], []
    for i in range(config.population):
        speaker, partner = independent_speaker(task, config, _child(rng), data)
        speakers.append(speaker)
        log.append(
            {"phase": "speaker", "index": i, "self_play": pair_accuracy(speaker, partner, 200, rng)}
        )
    listener = Listener(task, rng)
    meta_train_listener(
        listener,
        [speaker_source(s) for s in speakers],
        config,
        rng,
        steps=config.population * config.meta_steps,
    )
    return PopulationResult(listener, speakers, log)


def dynamic_population(
    task: ReferentialTask,
    config: ReferentialConfig,
    rng: np.random.Generator,
    data: SeedData | None = None,
) -> PopulationResult:
    """Alternate: meta-train the listener on the current speakers, then train a new
    speaker against a copy of it and add the speaker; a last meta-training phase covers
    the final speaker (``population`` phases in all, as in the static procedure)."""
    listener = Listener(task, rng)
    speakers: list[Speaker] = []
    log = []
    for i in range(config.population):
        if speakers:
            meta_train_listener(listener, [speaker_source(s) for s in speakers], config, rng)
        speaker = Speaker(task, _child(rng))
        partner = listener.copy()
        train_pair(speaker, partner, config, rng, data=data)
        speakers.append(speaker)
        log.append(
            {"phase": "speaker", "index": i, "self_play": pair_accuracy(speaker, partner, 200, rng)}
        )
    meta_train_listener(listener, [speaker_source(s) for s in speakers], config, rng)
    return PopulationResult(listener, speakers, log)


# ---- agents ----------------------------------------------------------------------------------


class ReferentialAgent(Agent):
    """Plays either seat of a referential game with a trained speaker (seat 0) or
    listener (seat 1); a bot language may stand in for the speaker. Built for the game's
    own :class:`ReferentialTask` (same objects, vocabulary and message length)."""

    name = "referential"

    def __init__(
        self,
        speaker: Speaker | None = None,
        listener: Listener | None = None,
        language: BotLanguage | None = None,
    ) -> None:
        self.speaker = speaker
        self.listener = listener
        self.language = language
        task = speaker.task if speaker is not None else listener.task if listener else None
        self.task = task

    def check_game(self, game: Game) -> None:
        task = task_of(game)
        if self.task is not None and self.task != task:
            raise RedqueenError(f"this agent was trained for {self.task}, not {task}")

    def act(self, obs: Observation) -> int:
        key = obs.information_state_key
        assert isinstance(key, tuple)
        task = task_of(obs.game)
        if obs.player == SPEAKER:
            target, said = key[1], key[-1]
            k = len(said)
            if self.language is not None:
                words = self.language.speak(target)
                return words[k] if k < len(words) else task.vocabulary
            if self.speaker is None:
                raise RedqueenError("this agent has no speaker for seat 0")
            return int(self.speaker.logits(np.array([target]))[0, k].argmax())
        if self.listener is None:
            raise RedqueenError("this agent has no listener for seat 1")
        assert obs.player == LISTENER
        message = np.array([list(key[2])[: task.message_length]])
        if message.shape[1] < task.message_length:
            pad = np.full((1, task.message_length - message.shape[1]), task.vocabulary)
            message = np.concatenate([message, pad], axis=1).astype(np.int64)
        m = one_hot_messages(message, task)
        if task.kind == LEWIS:
            cands = np.array([key[1]])
            scores = self.listener.scores(m, Batch(cands[:, 0], cands))
            return int(scores[0].argmax())
        chosen = key[3]
        return int(
            self.listener.scores(m, Batch(np.zeros((1, task.properties), int)))[
                0, len(chosen)
            ].argmax()
        )
