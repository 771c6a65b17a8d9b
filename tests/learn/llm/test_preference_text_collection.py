"""SPO's win rate as reward: the LLM self-play collector plays preference_text with one
tiny local model in both seats, and each seat's reward is the judge's P for its response
(player 0: P, player 1: 1 - P), recomputed here from the two texts the model wrote."""

from __future__ import annotations

from typing import Any

import pytest

import redqueen
from redqueen.games.roles.preference_text import PreferenceTextGame, RubricPreferenceJudge
from redqueen.learn.llm.collector import (
    Collector,
    PolicySeat,
    Prompter,
    prompt_vocabulary,
    protocol,
)
from redqueen.learn.llm.generators import TransformersGenerator
from redqueen.learn.llm.tiny import build_tiny_model, load_model


@pytest.fixture(scope="module")
def writer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The tiny model and tokenizer over preference_text's words (2 prompts)."""
    words = prompt_vocabulary([redqueen.make("preference_text", prompts=2, text_moves=True)])
    path = tmp_path_factory.mktemp("writer")
    return load_model(build_tiny_model(path, words, seed=0, max_positions=512))


def _collector(writer: tuple[Any, Any]) -> tuple[Collector, Prompter]:
    model, tokenizer = writer
    prompter = Prompter(tokenizer, "plain")
    generators = {0: TransformersGenerator(model, tokenizer)}
    return Collector(protocol("plain", max_new_tokens=6), generators, prompter), prompter


def test_collection_with_both_seats_as_the_policy_pays_the_judges_probability(
    writer: tuple[Any, Any],
) -> None:
    game = redqueen.make("preference_text", prompts=2, text_moves=True)
    assert isinstance(game, PreferenceTextGame)
    judge = game.judge
    assert isinstance(judge, RubricPreferenceJudge) and judge.name == "preference_cycle"
    collector, prompter = _collector(writer)
    tokenizer = writer[1]
    records = collector.play([(game, [PolicySeat(0), PolicySeat(0)]) for _ in range(8)], seed=0)
    decided = 0
    for record in records:
        assert record.invalid_by is None and not record.truncated
        seat0, seat1 = sorted(record.samples, key=lambda s: s.seat)
        assert (seat0.seat, seat1.seat) == (0, 1) and seat0.valid and seat1.valid
        y0, y1 = (prompter.answer(prompter.answer_text(s.completion_ids)) for s in (seat0, seat1))
        assert y0 is not None and y1 is not None
        shown = tokenizer.decode(seat0.prompt_ids, skip_special_tokens=True)
        (prompt,) = [p for p in game.prompts if " ".join(p.split()) in shown]
        p = 0.5 + (judge.probability(prompt, y0, y1) - judge.probability(prompt, y1, y0)) / 2
        assert record.rewards == record.returns == pytest.approx([p, 1 - p], abs=1e-12)
        assert [t.rewards[-1] for t in record.traces] == record.rewards
        decided += abs(p - 0.5) > 1e-9
    assert decided >= 2  # the judge told some answers apart (measured: 3 of 8 on seed 0)


def test_the_collector_asks_the_judge_once_per_order(writer: tuple[Any, Any]) -> None:
    """A text move is checked by applying it to a copy of the state; that copy becomes
    the state, so the last move, which calls the judge, calls it once in each order (2
    calls a game), not again when the move is played."""
    calls: list[tuple[str, str]] = []

    def judge(prompt: str, a: str, b: str) -> float:
        calls.append((a, b))
        return 0.5 + 0.1 * (len(a) > len(b)) - 0.1 * (len(a) < len(b))

    game = redqueen.make("preference_text", prompts=2, text_moves=True, judge=judge)
    assert isinstance(game, PreferenceTextGame)
    collector, prompter = _collector(writer)
    records = collector.play([(game, [PolicySeat(0), PolicySeat(0)]) for _ in range(5)], seed=1)
    assert all(r.invalid_by is None for r in records)
    assert len(calls) == 2 * len(records)
    for record in records:  # the reward is the judged P of the texts that were played
        seat0, seat1 = sorted(record.samples, key=lambda s: s.seat)
        y0, y1 = (prompter.answer(prompter.answer_text(s.completion_ids)) for s in (seat0, seat1))
        assert y0 is not None and y1 is not None
        p = 0.5 + (judge(game.prompts[0], y0, y1) - judge(game.prompts[0], y1, y0)) / 2
        assert record.rewards == pytest.approx([p, 1 - p], abs=1e-12)
