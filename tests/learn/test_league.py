"""League training on Kuhn poker with the exact oracle: exact expected scores, a main
exploiter that is an exact best response to the previous main agent, PFSP lineage,
measured Elo with intervals, and resuming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.learn.league import LeagueConfig, league
from redqueen.store.run_store import RunStore

KUHN = redqueen.make("kuhn_poker")
LO, SPAN = -2.0, 4.0  # Kuhn's utility range


def test_league_scores_exploiters_and_lineage() -> None:
    result = league(KUHN, LeagueConfig(iterations=4))
    ids = [m.id for _, m in result.population]
    assert ids[:3] == ["main0-0", "mx0-0", "lx0-0"] and len(ids) == 15
    s = result.scores
    np.testing.assert_allclose(s + s.T, np.ones_like(s), atol=1e-12)
    assert result.curve[0] == (0, pytest.approx(11 / 24))
    for t in range(1, 5):
        main_before, mx = ids.index(f"main0-{t - 1}"), ids.index(f"mx0-{t}")
        # the main exploiter best-responds to the main agent: its expected score is the
        # main agent's exploitability on the [0, 1] scale
        assert s[mx, main_before] == pytest.approx((result.curve[t - 1][1] - LO) / SPAN)
        member = result.population.members(0)[mx]
        assert member.parents == (f"main0-{t - 1}",)
        assert member.metadata["kind"] == "main_exploiter"
    values = [v for _, v in result.curve]
    assert values[-1] < values[0]


def test_league_elo_is_measured_and_the_run_resumes(tmp_path: Path) -> None:
    config = LeagueConfig(iterations=3, elo_matches=2, main_exploiters=1, league_exploiters=0)
    whole = league(KUHN, config)
    with RunStore(tmp_path) as store:
        league(KUHN, config, store, callback=lambda t, e: t >= 1)
    with RunStore(tmp_path) as store:
        resumed = league(KUHN, config, store)
        keys = store.completed_keys()
        assert [s for s, _ in store.metrics("exploitability")] == [0, 1, 2, 3]
    assert resumed.curve == whole.curve
    n = len(whole.population.members(0))
    assert n == 8 and len(keys) == n * (n - 1) // 2 * 2
    assert [e.to_dict() for e in resumed.elo] == [e.to_dict() for e in whole.elo]
    assert all(e.low < e.elo < e.high and e.games == 2 * (n - 1) for e in whole.elo)
    with RunStore(tmp_path) as store:  # a finished run, run again, logs its Elo once
        elo_rows = len(store.metrics("elo"))
        league(KUHN, config, store)
        assert len(store.metrics("elo")) == elo_rows


def test_league_config_errors() -> None:
    with pytest.raises(InvalidParameterError, match="main_agents"):
        LeagueConfig(main_agents=0)
    with pytest.raises(UnknownNameError, match="PFSP weighting"):
        LeagueConfig(pfsp_weighting="soft")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="two-player"):
        league(redqueen.make("kuhn_poker", players=3), LeagueConfig(iterations=1))
