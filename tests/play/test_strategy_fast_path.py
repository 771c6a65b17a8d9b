"""``play_match`` plays two classic strategies on a repeated 2x2 game without building
observations; the result must be the one of the general loop, for every strategy,
stochastic ones included, and in asymmetric stage games."""

from __future__ import annotations

from typing import Any

import pytest

import redqueen
from redqueen.agents import strategies
from redqueen.agents.strategies.base import Strategy
from redqueen.errors import RedqueenError
from redqueen.play import match as match_module
from redqueen.play.match import MatchResult, play_match

OPPONENTS = ["tit_for_tat", "random", "grudger"]


def _general(
    game: Any, agents: list[Any], seed: int, monkeypatch: pytest.MonkeyPatch
) -> MatchResult:
    with monkeypatch.context() as m:
        m.setattr(match_module, "_play_classic_strategies", lambda match: False)
        return play_match(game, agents, seed=seed)


@pytest.mark.parametrize(
    "stage", [{"stage": "prisoners_dilemma"}, {"stage": "battle_of_the_sexes"}]
)
def test_the_fast_path_gives_the_general_loops_result(
    stage: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    game = redqueen.make("repeated", rounds=12, **stage)
    calls = []
    original = match_module._play_classic_strategies
    monkeypatch.setattr(
        match_module,
        "_play_classic_strategies",
        lambda match: calls.append(1) or original(match),
    )
    played = 0
    for name in strategies.names():
        for other in OPPONENTS:
            agents = [strategies.get(name), strategies.get(other)]
            for seed in (0, 1):
                calls.clear()
                try:
                    slow = _general(game, agents, seed, monkeypatch)
                except RedqueenError as e:  # a strategy that cannot play this stage game
                    with pytest.raises(type(e)):
                        play_match(game, agents, seed=seed)
                    continue
                fast = play_match(game, agents, seed=seed)
                assert calls  # the fast path was asked
                assert fast == slow, (name, other, seed)
                played += 1
    assert played > 2 * len(OPPONENTS) * 50


def test_the_fast_path_applies_only_where_it_is_exact() -> None:
    class Overriding(type(strategies.get("tit_for_tat"))):  # type: ignore[misc]
        def act(self, obs: Any) -> int:
            return 1  # always defects: its own act, which the fast path must not skip

    pd = redqueen.make("repeated", rounds=5)
    result = play_match(pd, [Overriding(), strategies.get("cooperator")], seed=0)
    assert [s.action for s in result.trajectory] == [(1, 0)] * 5
    assert isinstance(Overriding(), Strategy)
    for params in ({"noise": 0.1}, {"continuation": 0.9}):
        game = redqueen.make("repeated", **params)
        agents = [strategies.get("tit_for_tat"), strategies.get("random")]
        match = match_module.MatchInProgress(game, agents, 0, "random")
        assert not match_module._play_classic_strategies(match)
