"""The compiled round robin: identical to the scalar path, to the Axelrod library, and to
hand-computed scores."""

from __future__ import annotations

import numpy as np
import pytest

from redqueen.agents import strategies
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.play.ipd import IPDTournament

MIXED = [
    "tit_for_tat",
    "grudger",
    "gtft",
    "first_by_joss",
    "zd_extort_2",
    "random",
    "gradual",  # no machine: scalar path
    "first_by_feld",  # stochastic, no machine
]


def _same_moves(a: dict, b: dict) -> bool:
    assert a.keys() == b.keys()
    return all(np.array_equal(a[k][0], b[k][0]) and np.array_equal(a[k][1], b[k][1]) for k in a)


@pytest.mark.parametrize(
    "options",
    [{}, {"noise": 0.1}, {"continuation": 0.9}, {"noise": 0.05, "continuation": 0.95}],
)
def test_compiled_equals_scalar_for_every_strategy(options: dict) -> None:
    """Per-match streams make the two paths identical, stochastic strategies included."""
    t = IPDTournament(MIXED, turns=40, repetitions=2, seed=7, **options)
    fast = t.play(keep_moves=True)
    t.compiled = False
    slow = t.play(keep_moves=True)
    assert _same_moves(fast.moves, slow.moves)
    assert np.array_equal(fast.scores, slow.scores)
    assert np.array_equal(fast.lengths, slow.lengths)


def test_shared_streams_are_statistically_equal() -> None:
    t = IPDTournament(
        ["random", "tit_for_tat"], turns=400, repetitions=20, seed=1, per_match_streams=False
    )
    res = t.play()
    # Random cooperates half the time: 20 * 400 * 2 moves in its own and TFT's matches.
    assert res.cooperation_matrix[0, 1] == pytest.approx(0.5, abs=0.02)
    assert res.cooperation_matrix[1, 0] == pytest.approx(0.5, abs=0.02)


def test_known_scores() -> None:
    res = IPDTournament(["tit_for_tat", "defector", "cooperator"], turns=200, repetitions=1).play()
    spt = res.score_per_turn()[:, :, 0]
    assert spt[0, 1] == pytest.approx(199 / 200)  # TFT: S once, then P
    assert spt[1, 0] == pytest.approx((5 + 199) / 200)
    assert spt[1, 2] == 5.0 and spt[2, 1] == 0.0
    assert spt[0, 0] == spt[2, 2] == spt[0, 2] == 3.0
    assert spt[1, 1] == 1.0
    assert res.wins[:, 0].tolist() == [0, 2, 0]
    assert res.ranked_names() == ["Defector", "Tit For Tat", "Cooperator"]  # 3.01, 1.9975, 1.5
    assert res.normalised_scores[0, 0] == pytest.approx((199 / 200 + 3) / 2)


def test_continuation_lengths_are_geometric() -> None:
    t = IPDTournament(["cooperator", "defector"], continuation=0.9, repetitions=400, seed=3)
    lengths = t.match_lengths()
    assert lengths.min() >= 1
    assert lengths.mean() == pytest.approx(10.0, rel=0.1)
    res = t.play()
    assert np.array_equal(res.lengths[0, 1], lengths[:, 1])


def test_axelrod_library_tournament_matches() -> None:
    axl = pytest.importorskip("axelrod", reason="the Axelrod library is a test-only extra")
    names = [
        "tit_for_tat",
        "grudger",
        "win_stay_lose_shift",
        "defector",
        "alternator",
        "suspicious_tit_for_tat",
        "first_by_nydegger",
        "gradual",
    ]
    classes = strategies.classes()
    players = [getattr(axl, classes[n].axelrod)() for n in names]  # type: ignore[arg-type]
    ref = axl.Tournament(players, turns=50, repetitions=2).play(progress_bar=False)
    ours = IPDTournament(names, turns=50, repetitions=2).play()
    np.testing.assert_allclose(ours.score_per_turn(), np.array(ref.payoffs), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.normalised_scores, np.array(ref.normalised_scores), atol=1e-12)
    assert ours.wins.tolist() == ref.wins
    assert ours.ranking() == ref.ranking


def test_bad_input() -> None:
    with pytest.raises(UnknownNameError, match="tit_for_tat"):
        IPDTournament(["tit_for_tatt", "defector"])
    with pytest.raises(InvalidParameterError, match="noise"):
        IPDTournament(["cooperator", "defector"], noise=1.5)
    with pytest.raises(InvalidParameterError, match="continuation"):
        IPDTournament(["cooperator", "defector"], continuation=1.0)
    with pytest.raises(InvalidParameterError, match="turns"):
        IPDTournament(["cooperator", "defector"], turns=0)
    with pytest.raises(InvalidParameterError, match="at least 2"):
        IPDTournament(["cooperator"])


def test_equals_play_match_on_the_repeated_game() -> None:
    """Without noise every match (stochastic strategies too) has the moves and returns of
    ``play_match`` on ``make("repeated")`` with the match's seed."""
    import redqueen
    from redqueen.games.core import SIMULTANEOUS
    from redqueen.play.ipd import match_seed
    from redqueen.play.match import play_match

    names = ["gtft", "first_by_joss", "tit_for_tat", "gradual"]
    res = IPDTournament(names, turns=30, repetitions=1, seed=2, self_play=False).play(
        keep_moves=True
    )
    game = redqueen.make("repeated", rounds=30)
    assert res.moves is not None
    for (i, j, r), (a, b) in res.moves.items():
        m = play_match(
            game, [strategies.get(names[i]), strategies.get(names[j])], seed=match_seed(2, r, i, j)
        )
        joint = [s.action for s in m.trajectory if s.player == SIMULTANEOUS]
        assert joint == list(zip(a.tolist(), b.tolist(), strict=True))
        assert tuple(m.returns) == (res.scores[i, j, r], res.scores[j, i, r])
