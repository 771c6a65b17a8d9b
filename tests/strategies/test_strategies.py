"""Classic strategies: lookup and errors, classifiers, published four-vectors, the
zero-determinant score relation, noise-aware behaviour, stochastic strategies, and
playing through the Agent contract with ``play_match`` on the repeated game."""

from __future__ import annotations

import math

import numpy as np
import pytest

import redqueen
from redqueen.agents import strategies
from redqueen.agents.registry import agent_from_spec, make_agent, parse_agent
from redqueen.agents.strategies import Machine, Strategy, opponent_moves, play_strategies
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.play import play_match

C, D = 0, 1


def moves(text: str) -> list[int]:
    return [0 if ch == "C" else 1 for ch in text]


def text(seq: list[int]) -> str:
    return "".join("CD"[m] for m in seq)


# ---- lookup ----------------------------------------------------------------------------


def test_at_least_forty_strategies_with_sources_and_classifiers() -> None:
    names = strategies.names()
    assert len(names) >= 40
    assert names == sorted(names)
    for name in names:
        cls = strategies.classes()[name]
        assert cls.__doc__ and len(cls.__doc__) > 20, name
        assert cls.title, name
        info = strategies.classifier(name)
        depth = info["memory_depth"]
        assert depth == math.inf or (isinstance(depth, int) and depth >= 0), name
        assert isinstance(info["stochastic"], bool), name
        assert info["makes_use_of"] <= {"game", "length"}, name
        if cls.window is not None:
            assert cls.window <= depth, name


def test_required_strategies_are_present() -> None:
    required = {
        "cooperator", "defector", "tit_for_tat", "tit_for_two_tats", "two_tits_for_tat",
        "suspicious_tit_for_tat", "gtft", "grudger", "win_stay_lose_shift", "alternator",
        "random", "prober", "prober_2", "prober_3", "gradual", "adaptive", "handshake",
        "first_by_joss", "tester", "first_by_tullock", "first_by_davis", "first_by_feld",
        "first_by_grofman", "first_by_shubik", "first_by_stein_and_rapoport",
        "first_by_nydegger", "first_by_downing", "first_by_graaskamp",
        "first_by_tideman_and_chieruzzi", "first_by_anonymous", "zd_extort_2", "zd_gtft_2",
        "memory_one", "fortress3", "fortress4", "predator", "raider", "ripoff",
        "solution_b1", "bush_mosteller", "risky_q_learner", "hard_majority", "soft_majority",
        "cycler_ccd", "cycler_cccd", "forgiver", "hard_tit_for_tat", "contrite_tit_for_tat",
        "omega_tft", "win_shift_lose_stay", "appeaser",
    }  # fmt: skip
    assert required <= set(strategies.names())


def test_aliases() -> None:
    assert isinstance(strategies.get("pavlov"), strategies.classes()["win_stay_lose_shift"])
    assert isinstance(strategies.get("tft"), strategies.classes()["tit_for_tat"])


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(UnknownNameError) as info:
        strategies.get("tit_for_tatt")
    message = str(info.value)
    assert "close matches: tit_for_tat" in message
    assert "tit_for_two_tats" in message
    assert info.value.allowed == strategies.names()
    with pytest.raises(UnknownNameError, match="no close match"):
        strategies.classifier("zzzzzz")


def test_bad_parameters_are_refused_before_play() -> None:
    with pytest.raises(UnknownNameError, match="allowed: p"):
        strategies.get("random", q=0.3)
    with pytest.raises(InvalidParameterError, match=r"p must be in \[0, 1\]"):
        strategies.get("random", p=1.5)
    with pytest.raises(InvalidParameterError, match="string of C and D"):
        strategies.get("cycler", cycle="CXD")
    with pytest.raises(InvalidParameterError, match="four probabilities"):
        strategies.get("memory_one", four_vector=[1, 0, 1])
    with pytest.raises(InvalidParameterError, match="need P <= l <= R"):
        strategies.get("zd_extortion", l=4).machine()


# ---- published values -------------------------------------------------------------------


def vector(name: str) -> np.ndarray:
    machine = strategies.get(name).machine()
    assert machine is not None
    return machine.coop_prob[1:]


def test_published_four_vectors() -> None:
    # Nowak & Sigmund 1992: GTFT forgives with min(1 - (T-R)/(R-S), (R-P)/(T-P)) = 1/3.
    assert vector("gtft") == pytest.approx([1, 1 / 3, 1, 1 / 3])
    # Stewart & Plotkin 2012, PNAS 109(26): Extort-2 and ZDGTFT-2 in Axelrod's game.
    assert vector("zd_extort_2") == pytest.approx([8 / 9, 1 / 2, 1 / 3, 0])
    assert vector("zd_gtft_2") == pytest.approx([1, 1 / 8, 1, 1 / 4])
    assert vector("win_stay_lose_shift").tolist() == [1, 0, 0, 1]
    assert vector("first_by_joss") == pytest.approx([0.9, 0, 0.9, 0])


def long_run_scores(first: Machine, second: Machine) -> tuple[float, float]:
    """The stationary payoffs of two machines in Axelrod's game (Markov chain on state
    pairs)."""
    payoff = np.array([[3.0, 0.0], [5.0, 1.0]])
    n0, n1 = first.n_states, second.n_states
    size = n0 * n1
    chain = np.zeros((size, size))
    reward = np.zeros((size, 2))
    for a in range(n0):
        for b in range(n1):
            p, q = first.coop_prob[a], second.coop_prob[b]
            for m, pm in ((C, p), (D, 1 - p)):
                for o, po in ((C, q), (D, 1 - q)):
                    w = pm * po
                    target = first.next_state[a, m, o] * n1 + second.next_state[b, o, m]
                    chain[a * n1 + b, target] += w
                    reward[a * n1 + b] += w * np.array([payoff[m, o], payoff[o, m]])
    values, vectors = np.linalg.eig(chain.T)
    stationary = np.real(vectors[:, np.argmin(np.abs(values - 1))])
    stationary /= stationary.sum()
    s0, s1 = stationary @ reward
    return float(s0), float(s1)


@pytest.mark.parametrize("opponent", [(0.3, 0.6, 0.2, 0.9), (0.9, 0.1, 0.5, 0.4)])
def test_zero_determinant_strategies_enforce_their_relation(
    opponent: tuple[float, ...],
) -> None:
    """Press & Dyson 2012: against any memory-one opponent, ZD-Extort-2 (l = P = 1,
    s = 1/2) makes s_Y - 1 = (s_X - 1) / 2; ZD-SET-2 sets the opponent's score to 2."""
    other = Machine.memory_one(opponent, 0.5)
    sx, sy = long_run_scores(strategies.get("zd_extort_2").machine(), other)
    assert sy - 1 == pytest.approx((sx - 1) / 2, abs=1e-9)
    assert sx > sy
    _, sy = long_run_scores(strategies.get("zd_set_2").machine(), other)
    assert sy == pytest.approx(2.0, abs=1e-9)


def test_gtft_uses_the_matchs_payoffs() -> None:
    game = redqueen.make("repeated", stage="prisoners_dilemma", stage_params={"T": 6}, rounds=3)
    agent = strategies.get("gtft")
    result = play_match(game, [agent, strategies.get("defector")], seed=0)
    assert result.length == 3
    seat = agent._seats[0].player
    r, p, s, t = seat.match.rpst()
    assert (r, p, s, t) == (3, 1, 0, 6)
    assert seat.vector()[1] == pytest.approx(min(1 - 3 / 3, 2 / 5))


# ---- noise and stochastic strategies ---------------------------------------------------


def test_contrite_tit_for_tat_apologises_for_its_own_noise() -> None:
    """Round 1 it meant C but noise made it D; the other answers D in round 2. Tit For
    Tat would retaliate in round 3; Contrite Tit For Tat, knowing the first D was noise,
    cooperates."""
    contrite = strategies.get("contrite_tit_for_tat").fresh()
    tft = strategies.get("tit_for_tat").fresh()
    assert contrite.decide([], [], None) == C  # type: ignore[arg-type]
    assert contrite.decide([D], [C], None) == C  # type: ignore[arg-type]
    assert contrite.decide([D, C], [C, D], None) == C  # type: ignore[arg-type]
    assert tft.decide([D, C], [C, D], None) == D  # type: ignore[arg-type]
    # without noise it is Tit For Tat
    honest = strategies.get("contrite_tit_for_tat").fresh()
    assert [honest.decide(m, t, None) for m, t in [([], []), ([C], [D])]] == [C, D]  # type: ignore[arg-type]


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_random_cooperates_with_probability_p(p: float) -> None:
    played = opponent_moves(strategies.get("random", p=p), [C] * 4000, seed=3)
    rate = played.count(C) / len(played)
    assert abs(rate - p) <= 4 * math.sqrt(p * (1 - p) / 4000) + 1e-12


def test_stochastic_strategies_are_repeatable_and_vary_with_the_seed() -> None:
    for name in strategies.names():
        if not strategies.classifier(name)["stochastic"] or name == "memory_one":
            continue
        first = play_strategies(strategies.get(name), strategies.get("random"), 60, seed=7)
        again = play_strategies(strategies.get(name), strategies.get("random"), 60, seed=7)
        assert first == again, name
        others = {
            play_strategies(strategies.get(name), strategies.get("random"), 60, seed=s).moves
            for s in range(8, 14)
        }
        assert len(others | {first.moves}) > 1, name


def test_deterministic_strategies_ignore_the_seed() -> None:
    theirs = np.random.default_rng(0).integers(0, 2, size=80).tolist()
    for name in strategies.names():
        if strategies.classifier(name)["stochastic"]:
            continue
        strategy = strategies.get(name)
        assert opponent_moves(strategy, theirs, seed=1) == opponent_moves(
            strategy, theirs, seed=2
        ), name


def test_bush_mosteller_update_rule() -> None:
    """Aspiration 5/3 (max payoff / 3): after CC the stimulus is (3 - 5/3)/(5 - 5/3) =
    0.4 and p_C grows to 0.5 + 0.5 * 0.4 * 0.5 = 0.6; after CD it is -0.5 and p_C
    shrinks to 0.5 - 0.5 * 0.5 * 0.5 = 0.375."""
    rng = np.random.default_rng(0)
    for theirs, expected in ((C, 0.6), (D, 0.375)):
        learner = strategies.get("bush_mosteller").fresh()
        learner.move([], [], rng)
        learner.move([C], [theirs], rng)
        assert learner._c == pytest.approx(expected)
        assert learner._d == 0.5


def test_q_learner_explores_one_round_in_ten() -> None:
    """Its state includes the other's cooperation count, so against a cooperator every
    state is new, ties go to C, and it defects only when exploring (10%, half of which
    pick D)."""
    played = opponent_moves(strategies.get("risky_q_learner"), [C] * 4000, seed=0)
    assert abs(played.count(D) / 4000 - 0.05) <= 4 * math.sqrt(0.05 * 0.95 / 4000)


# ---- through the Agent contract ---------------------------------------------------------


def test_play_match_equals_the_fast_loop() -> None:
    game = redqueen.make("repeated", stage="prisoners_dilemma", rounds=30)
    for first, second in [
        ("tit_for_tat", "alternator"),
        ("first_by_tideman_and_chieruzzi", "prober"),
        ("gtft", "random"),  # stochastic: same per-seat streams
        ("predator", "bush_mosteller"),
    ]:
        a, b = strategies.get(first), strategies.get(second)
        result = play_match(game, [a, b], seed=5)
        record = play_strategies(a, b, 30, seed=5)
        executed = game.new_initial_state()
        for step in result.trajectory:
            executed.apply_joint_action(list(step.action))  # type: ignore[arg-type]
        assert executed.rounds() == list(record.moves), (first, second)
        assert result.returns == record.scores


def test_seat_one_sees_its_own_moves() -> None:
    game = redqueen.make("repeated", rounds=6)
    result = play_match(
        game, [strategies.get("alternator"), strategies.get("suspicious_tit_for_tat")], seed=0
    )
    pairs = [step.action for step in result.trajectory]
    assert [p[0] for p in pairs] == moves("CDCDCD")
    assert [p[1] for p in pairs] == moves("DCDCDC")
    assert result.returns == (3 * 0 + 3 * 5, 3 * 5 + 3 * 0)


def test_one_agent_in_both_seats_and_over_several_matches() -> None:
    game = redqueen.make("repeated", rounds=20)
    gradual = strategies.get("gradual")
    for seed in range(3):
        result = play_match(game, [gradual, gradual], seed=seed)
        assert result.returns == (60.0, 60.0)
    shubik = strategies.get("first_by_shubik")
    first = play_match(game, [shubik, strategies.get("defector")], seed=0)
    again = play_match(game, [shubik, strategies.get("defector")], seed=0)
    assert first.returns == again.returns == (15.0, 40.0)  # 5 C and 15 D


def test_noisy_match_runs_and_is_repeatable() -> None:
    game = redqueen.make("repeated", rounds=100, noise=0.1)
    agents = [strategies.get("contrite_tit_for_tat"), strategies.get("tit_for_tat")]
    a = play_match(game, agents, seed=11)
    b = play_match(game, agents, seed=11)
    assert a.returns == b.returns
    assert a.length == 200  # a decision and a noise node per round
    assert a.invalid_moves == (0, 0)
    noisy = [step.action for step in a.trajectory if step.player == redqueen.games.CHANCE]
    assert len(noisy) == 100


def test_unknown_length_hides_the_end_game() -> None:
    game = redqueen.make("repeated", continuation=0.99, max_rounds=40)
    agent = strategies.get("first_by_tideman_and_chieruzzi")
    play_match(game, [agent, strategies.get("cooperator")], seed=0)
    assert agent._seats[0].player.match.rounds is None


def test_registered_as_agent_kind() -> None:
    agent = parse_agent("strategy:name=gtft,p=0.2")
    assert isinstance(agent, Strategy)
    assert agent.spec().label() == "strategy:name=gtft,p=0.2"
    rebuilt = agent_from_spec(agent.spec())
    assert rebuilt.params() == {"p": 0.2}
    assert make_agent("strategy", name="cycler", cycle="CD").machine() == Machine.cycle([C, D])
    with pytest.raises(UnknownNameError, match="close matches: grudger"):
        make_agent("strategy", name="grudgr")
    with pytest.raises(UnknownNameError):
        make_agent("strategy", name="random", cycle="CD")
    with pytest.raises(InvalidParameterError, match="needs name=<strategy>"):
        parse_agent("strategy")


def test_refuses_other_games() -> None:
    game = redqueen.make("tic_tac_toe")
    with pytest.raises(RedqueenError, match="repeated 2x2 games"):
        play_match(game, [strategies.get("tit_for_tat"), strategies.get("defector")], seed=0)


def test_text_helpers() -> None:
    assert text(opponent_moves(strategies.get("tit_for_tat"), moves("DDC"))) == "CDD"
