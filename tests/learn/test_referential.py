"""Speakers, listeners and populations of the referential games: exact encodings and
gradients, and learning on fixed seeds with thresholds from measured runs (tiny games:
Lewis with 9 objects and 2 distractors, chance 1/3; reconstruction of 2 x 3, chance 1/9).
"""

from __future__ import annotations

import numpy as np
import pytest

from redqueen import make
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.referential import lewis_game, object_reconstruction
from redqueen.learn.referential import (
    Batch,
    Listener,
    ReferentialAgent,
    ReferentialConfig,
    Speaker,
    batch_for,
    bot_data,
    bot_source,
    dynamic_population,
    evaluate_listener,
    independent_speaker,
    one_hot_messages,
    one_hot_objects,
    pair_accuracy,
    sample_batch,
    static_population,
    supervised_step,
    task_of,
)
from redqueen.play.match import play_match

LEWIS = lewis_game(properties=2, values=3, distractors=2, vocabulary=6, message_length=2)
RECON = object_reconstruction(properties=2, values=3, vocabulary=6, message_length=2)
TINY = ReferentialConfig(
    batch_size=32, selfplay_steps=60, population=2, meta_steps=30, shots=16, adapt_steps=3,
    eval_games=200,
)  # fmt: skip
ALL_OBJECTS = np.array([[a, b] for a in range(3) for b in range(3)])


def test_encodings_are_exact() -> None:
    task = task_of(LEWIS)
    assert one_hot_objects(np.array([[1, 2]]), task).tolist() == [[0, 1, 0, 0, 0, 1]]
    m = one_hot_messages(np.array([[5, 6]]), task)  # 6 is "end": left blank
    assert m.shape == (1, 12) and m[0].nonzero()[0].tolist() == [5]


def test_lewis_batches_hold_the_target_among_sorted_distinct_candidates() -> None:
    task = task_of(LEWIS)
    batch = sample_batch(task, 200, np.random.default_rng(0))
    assert batch.candidates is not None and batch.target is not None
    index = batch.candidates @ np.array([3, 1])
    assert (np.diff(index, axis=1) > 0).all()
    assert (batch.candidates[np.arange(200), batch.target] == batch.objects).all()
    assert set(batch.target.tolist()) == {0, 1, 2}


@pytest.mark.parametrize("game", [LEWIS, RECON], ids=["lewis", "reconstruction"])
def test_listener_gradients_match_finite_differences(game: object) -> None:
    task = task_of(game)  # type: ignore[arg-type]
    rng = np.random.default_rng(1)
    listener = Listener(task, rng, scale=0.5)
    batch = sample_batch(task, 5, rng)
    m = rng.random((5, task.message_size))
    _, grads, dm = listener.loss_and_grads(m, batch)
    for name, g in grads.items():
        p = listener.params[name]
        for idx in [(0,) * p.ndim, tuple(s - 1 for s in p.shape)]:
            old = p[idx]
            p[idx] = old + 1e-6
            up = listener.loss_and_grads(m, batch)[0]
            p[idx] = old - 1e-6
            down = listener.loss_and_grads(m, batch)[0]
            p[idx] = old
            assert g[idx] == pytest.approx((up - down) / 2e-6, abs=1e-6)
    m2 = m.copy()
    m2[2, 3] += 1e-6
    up = listener.loss_and_grads(m2, batch)[0]
    m2[2, 3] -= 2e-6
    down = listener.loss_and_grads(m2, batch)[0]
    assert dm[2, 3] == pytest.approx((up - down) / 2e-6, abs=1e-6)


@pytest.mark.parametrize(("game", "floor"), [(LEWIS, 0.9), (RECON, 0.75)], ids=["lewis", "or"])
def test_self_play_learns_a_language(game: object, floor: float) -> None:
    # measured: lewis 0.972, 0.976, 1.0; reconstruction 0.87, 1.0, 1.0 (chance 1/3, 1/9)
    task = task_of(game)  # type: ignore[arg-type]
    for seed in range(3):
        rng = np.random.default_rng(seed)
        speaker, listener = independent_speaker(task, TINY, rng)
        assert pair_accuracy(speaker, listener, 500, rng) >= floor


def test_supervision_teaches_the_bot_language() -> None:
    task = task_of(LEWIS)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        language = task.bot_language(seed)
        data = bot_data(task, language, 30, rng)
        speaker, listener = Speaker(task, rng), Listener(task, rng)
        for _ in range(40):
            supervised_step(speaker, listener, data, rng.integers(30, size=16), 1.0, rng)
        assert (speaker.speak(ALL_OBJECTS) == bot_source(task, language)(ALL_OBJECTS)).all()


def test_populations_train_a_listener_that_understands_them() -> None:
    # measured (dynamic, seen speakers): 1.0, 0.98, 0.98
    task = task_of(LEWIS)
    for seed in range(3):
        rng = np.random.default_rng(seed)
        result = dynamic_population(task, TINY, rng)
        assert len(result.speakers) == 2
        wins = [evaluate_listener(result.listener, s.speak, TINY, rng) for s in result.speakers]
        assert sum(wins) / (2 * TINY.eval_games) >= 0.9
    static = static_population(task, TINY, np.random.default_rng(0))
    assert len(static.speakers) == 2 and [e["index"] for e in static.log] == [0, 1]


def test_trained_agents_play_the_game_itself() -> None:
    task = task_of(LEWIS)
    rng = np.random.default_rng(2)
    speaker, listener = independent_speaker(task, TINY, rng)
    batch = batch_for(task, ALL_OBJECTS, rng)
    m = one_hot_messages(speaker.speak(ALL_OBJECTS), task)
    assert listener.correct(m, batch).all()  # this pair names every object
    agents = [ReferentialAgent(speaker=speaker), ReferentialAgent(listener=listener)]
    for seed in range(20):
        result = play_match(LEWIS, agents, seed=seed)
        assert tuple(result.returns) == (1.0, 1.0)
        assert result.length == 3 + 2 + 1  # three draws, two words, one pick
    with pytest.raises(RedqueenError, match="lewis_game and object_reconstruction"):
        agents[0].check_game(make("stag_hunt"))


def test_bad_configs_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="meta_lr must be in"):
        ReferentialConfig(meta_lr=2.0)
    with pytest.raises(InvalidParameterError, match="batch_size must be an integer >= 1"):
        ReferentialConfig(batch_size=0)
    short = task_of(
        lewis_game(properties=3, values=2, distractors=2, vocabulary=6, message_length=2)
    )
    with pytest.raises(InvalidParameterError, match="message_length must be at least 3"):
        bot_data(short, short.bot_language(), 5, np.random.default_rng(0))
    assert Batch(ALL_OBJECTS).candidates is None
