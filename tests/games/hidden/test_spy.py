"""who_is_the_spy: the checker, the deal, what each seat sees, clue truth, votes, both
reward modes against hand-computed values, the scripted players and the metrics."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import redqueen
from redqueen.agents.core import AgentSpec, Observation
from redqueen.agents.hidden.spy import BlendingSpy, RandomSpyPlayer, TruthfulPlayer
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games import check_game
from redqueen.games.core import CHANCE, SIMULTANEOUS, TERMINAL
from redqueen.games.hidden.spy import (
    ABSTAIN,
    INVALID,
    ClueCheck,
    SceneObject,
    SpyOutcome,
    SpyRewards,
    SpyState,
    SpyView,
    WhoIsTheSpyGame,
    clevr_scene_pair,
    parse_vote,
    word_pairs,
)
from redqueen.measure.hidden_spy import seat_metrics, spy_caught, spy_metrics
from redqueen.play.match import play_match, replay


def make(**params: object) -> WhoIsTheSpyGame:
    game = redqueen.make("who_is_the_spy", **params)
    assert isinstance(game, WhoIsTheSpyGame)
    return game


def dealt(game: WhoIsTheSpyGame, item: int, spy: int, side: int | None = None) -> SpyState:
    state = game.new_initial_state()
    state.apply_action(item)
    state.apply_action(spy)
    if side is not None:
        state.apply_action(side)
    assert isinstance(state, SpyState)
    return state


def give_clues(state: SpyState, clue: int = 0) -> None:
    while state.current_player() >= 0 and len(state.clues()) < 8:
        state.apply_action(clue)


@pytest.mark.parametrize(
    "params",
    [
        {"data": "word_pairs"},
        {"n_scenes": 20, "decision": "observer", "n_observers": 3},
        {"n_scenes": 20, "reward": "legacy", "n_players": 3, "n_rounds": 1},
        {"data": "word_pairs", "spy_knows_role": False, "n_players": 5},
    ],
)
def test_check_game_on_the_variants(params: dict[str, object]) -> None:
    report = check_game(make(**params), n_games=15)
    assert report.states_visited > report.games_played


# ---- the deal ------------------------------------------------------------------------------


def test_chance_nodes_enumerate_item_seat_and_side() -> None:
    state = make(n_scenes=7).new_initial_state()
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(i, 1 / 7) for i in range(7)]
    state.apply_action(3)
    assert state.chance_outcomes() == [(s, 0.25) for s in range(4)]
    state.apply_action(1)
    assert state.current_player() == 0  # clevr_text has no side node
    assert len(make().new_initial_state().chance_outcomes()) == 1000

    words = make(data="word_pairs", n_players=5).new_initial_state()
    assert words.chance_outcomes() == [(i, 1 / 318) for i in range(318)]
    words.apply_action(0)  # coffee / tea
    assert words.chance_outcomes() == [(s, 0.2) for s in range(5)]
    words.apply_action(2)
    assert words.chance_outcomes() == [(0, 0.5), (1, 0.5)]
    assert [words.action_text(a, CHANCE) for a in (0, 1)] == [
        "the spy gets the second word",
        "the spy gets the first word",
    ]
    for side, (civilian, spy) in enumerate([("coffee", "tea"), ("tea", "coffee")]):
        state = dealt(make(data="word_pairs"), 0, 2, side)
        assert state.items() == (civilian, spy)
        assert [state.item_of(s) for s in range(4)] == [civilian, civilian, spy, civilian]


def test_word_list_has_200_close_pairs_with_categories() -> None:
    pairs = word_pairs()
    assert len(pairs) >= 200
    assert pairs[0] == ("drinks", "coffee", "tea")
    assert len({frozenset(p[1:]) for p in pairs}) == len(pairs)
    assert len({p.category for p in pairs}) >= 20


def test_clevr_scene_pairs_replace_two_objects_in_place() -> None:
    original, spy = clevr_scene_pair(0)
    assert original == (
        SceneObject("gray", "sphere", "small", "metal"),
        SceneObject("brown", "sphere", "large", "rubber"),
        SceneObject("gray", "cylinder", "small", "rubber"),
        SceneObject("blue", "cube", "large", "metal"),
    )
    assert spy[1] == SceneObject("blue", "sphere", "small", "rubber")
    assert spy[2] == SceneObject("green", "cube", "small", "metal")
    for index in range(300):
        a, b = clevr_scene_pair(index)
        assert 3 <= len(a) <= 6 and len(a) == len(b)
        assert sum(x != y for x, y in zip(a, b, strict=True)) == 2


# ---- what each seat sees ------------------------------------------------------------------------


def test_each_seat_sees_only_its_own_item_and_role() -> None:
    state = dealt(make(data="word_pairs"), 0, 2, 0)
    texts = [state.observation_text(p) for p in range(4)]
    for p in (0, 1, 3):
        assert "Your word: coffee" in texts[p] and "tea" not in texts[p]
        assert "Your role: NOT SPY" in texts[p]
    assert "Your word: tea" in texts[2] and "coffee" not in texts[2]
    assert "Your role: SPY" in texts[2]
    assert "it is your turn to give a clue" in texts[0]
    assert "waiting for Player 1's clue" in texts[1]
    key = state.information_state_key(2)
    assert key == SpyView(2, "spy", "tea", (), None, None)

    hidden = dealt(make(data="word_pairs", spy_knows_role=False), 0, 2, 0)
    assert hidden.view(2).role is None and hidden.view(0).role is None
    assert "not told" in hidden.observation_text(2)

    game = make(n_scenes=5)
    scene = dealt(game, 0, 1)
    civilian_text, spy_text = scene.observation_text(0), scene.observation_text(1)
    assert "position 2: a large brown rubber sphere" in civilian_text
    assert "position 2: a small blue rubber sphere" in spy_text
    assert "blue rubber sphere" not in civilian_text and "brown" not in spy_text


def test_the_observer_sees_the_civilians_item_and_every_clue() -> None:
    game = make(data="word_pairs", decision="observer", n_observers=2)
    assert game.num_players == 6 and game.player_name(4) == "observer 1"
    state = dealt(game, 0, 1, 0)
    assert state.view(4).item == "coffee" and state.view(4).role == "observer"
    give_clues(state, clue=2)  # "my word starts with the letter c"
    assert state.current_player() == 4  # observers vote one after another
    assert "Player 2: my word starts with the letter c" in state.observation_text(5)
    assert state.legal_actions(0) == []


# ---- clues ------------------------------------------------------------------------------------


def test_clue_truth_in_clevr_text() -> None:
    game = make()
    source = game.source
    scene = (
        SceneObject("red", "cube", "large", "metal"),
        SceneObject("blue", "sphere", "small", "rubber"),
        SceneObject("red", "cylinder", "small", "rubber"),
    )
    expected = {
        "there is a red cube": True,
        "there is a blue cube": False,
        "there is a red cylinder": True,
        "there are exactly 2 red objects": True,
        "there is exactly 1 red object": False,
        "there are exactly 2 small objects": True,
        "there are no spheres": False,
        "there are no yellow objects": True,
        "there is exactly 1 metal object": True,
        "the object at position 3 is a cylinder": True,
        "the object at position 1 is rubber": False,
        "the object at position 2 is blue": True,
        "the object at position 4 is red": False,  # there is no fourth object
    }
    for text, truth in expected.items():
        assert source.clue_true(scene, source.clue_index[text]) is truth, text
    assert game.num_clues == 24 + 15 * 7 + 6 * 15
    assert make(data="word_pairs").num_clues == 26 + 14 + 26


def test_clue_checks_say_where_each_clue_is_true() -> None:
    game = make(n_scenes=3)
    state = dealt(game, 0, 1)
    said = [
        "the object at position 2 is brown",  # true of the civilians' scene only
        "the object at position 2 is small",  # true of the spy's only
        "the object at position 4 is a cube",  # true of both
        "there is a purple cube",  # true of neither
    ]
    for text in said * 2:
        state.apply_action(game.source.clue_index[text])
    checks = state.clue_checks()
    assert [(c.civilian_true, c.spy_true) for c in checks[:4]] == [
        (True, False),
        (False, True),
        (True, True),
        (False, False),
    ]
    assert [(c.seat, c.round) for c in checks] == [(p % 4, p // 4 + 1) for p in range(8)]


def test_text_clues_read_boxed_answers_cap_length_and_count_empty_ones() -> None:
    game = make(clues="text", max_clue_chars=12, n_scenes=3)
    assert game.spec.text_actions and game.spec.num_distinct_actions == 0
    state = dealt(game, 0, 1)
    state.apply_text_action("I should be careful. \\boxed{There is a blue cube.}")
    state.apply_text_action("a long free-text clue about the scene")
    state.apply_text_action("\\boxed{}")
    state.apply_text_action("[the object at position 1 is gray]", player=3)
    assert [c.text for c in state.clues()] == ["There is a b", "a long free-", "", "the object a"]
    assert state.invalid_moves() == (0, 0, 1, 0)
    with pytest.raises(RedqueenError, match="apply_text_action"):
        state.apply_action(0)
    with pytest.raises(RedqueenError, match="Player 1's turn"):
        state.apply_text_action("x", player=2)
    assert "(no clue)" in state.observation_text(0)

    long_cap = make(clues="text", n_scenes=3)
    state = dealt(long_cap, 0, 1)
    state.apply_text_action("\\boxed{There is a blue cube.}")
    assert state.clues()[0].clue == long_cap.source.clue_index["there is a blue cube"]
    assert state.clue_checks()[0] == ClueCheck(0, 1, True, True)


# ---- votes ---------------------------------------------------------------------------------------


def test_parse_vote() -> None:
    cases = {
        "\\boxed{2}": 1,
        "Player 4": 3,
        "vote for player 3": 2,
        "[3]": 2,
        "N/A": ABSTAIN,
        "\\boxed{na}": ABSTAIN,
        "I think 2, not 3": 1,
        "7": INVALID,
        "0": INVALID,
        "": INVALID,
        "the red one": INVALID,
    }
    for text, vote in cases.items():
        assert parse_vote(text, 4) == vote, text


def test_votes_are_simultaneous_and_parse_as_players_numbers() -> None:
    game = make(n_scenes=3)
    state = dealt(game, 0, 2)
    give_clues(state)
    assert state.current_player() == SIMULTANEOUS
    c = game.num_clues
    assert state.legal_actions(1) == list(range(c, c + 5))
    assert state.parse_action("3", 0) == c + 2
    assert state.parse_action("Player 1", 0) == c
    assert state.parse_action("N/A", 0) == c + 4
    assert state.parse_action("vote for player 2", 0) == c + 1
    assert state.action_text(c + 4, 0) == "N/A"
    assert "You are the spy: do not vote for yourself." in state.observation_text(2)
    state.apply_joint_action([c + 2, c + 2, c, c + 4])
    assert state.current_player() == TERMINAL
    assert state.votes() == [2, 2, 0, ABSTAIN]
    assert "The spy was Player 3" in state.observation_text(0)


# ---- rewards ------------------------------------------------------------------------------------


def finished(game: WhoIsTheSpyGame, spy: int, votes: list[int]) -> SpyState:
    state = dealt(game, 0, spy, 0 if game.data == "word_pairs" else None)
    give_clues(state)
    state.apply_joint_action([game.vote_action(v) for v in votes])
    return state


def test_vision_zero_rewards_by_hand() -> None:
    # Spy = Player 3 (seat 2). Votes: P1 -> P3, P2 -> P3, P3 -> P1, P4 -> N/A.
    # v = [1, 0, 2, 0]; civilians' mean 1/3; psi = 2 - 1/3 = 5/3.
    # Clue: spy -0.1 * 5/3 = -1/6; P1: 0.1 * (5/3) / 3 - 0.1 (1 - 1/3) = -1/90;
    # P2, P4: 5/90 + 0.1 / 3 = 8/90. Decision: 0.3 + 1.2 + 0.99 = 2.49 on the spy;
    # the spy voting another: 0.3 + 0.6 + 0.99 = 1.89; N/A: 0.3 - 0.6 = -0.3.
    state = finished(make(n_scenes=3), 2, [2, 2, 0, ABSTAIN])
    r = state.rewards()
    assert r.clue == pytest.approx((-1 / 90, 8 / 90, -1 / 6, 8 / 90))
    assert sum(r.clue) == pytest.approx(0.0, abs=1e-12)
    assert r.decision == pytest.approx((2.49, 2.49, 1.89, -0.3))
    assert state.returns() == pytest.approx(
        [2.49 - 1 / 90, 2.49 + 8 / 90, 1.89 - 1 / 6, -0.3 + 8 / 90]
    )
    # A spy voting for itself: acc -1 -> 0.3 - 1.2 = -0.9; a civilian's wrong vote too.
    state = finished(make(n_scenes=3), 1, [3, 1, 2, 2])
    assert state.rewards().decision == pytest.approx((-0.9, -0.9, -0.9, -0.9))


def test_legacy_rewards_by_hand() -> None:
    game = make(n_scenes=3, reward="legacy")
    # Same votes: P1 +1 - 0.6/3 = 0.8; P2 +1; P4 (N/A) -1; the spy 1 - 2/3 + 0.5 (1 + 0.5)/3
    # = 7/12 (its own vote on P1 and P4's N/A mislead).
    r = finished(game, 2, [2, 2, 0, ABSTAIN]).rewards()
    assert r.decision == pytest.approx((0.8, 1.0, 7 / 12, -1.0))
    assert r.clue == (0.0, 0.0, 0.0, 0.0)
    # The spy (seat 1) votes for itself: 1 - 2/3 + 0.5 * 1.5 / 3 - 1 = -5/12.
    r = finished(game, 1, [1, 1, ABSTAIN, 0]).rewards()
    assert r.decision == pytest.approx((1 - 0.6 / 3, -5 / 12, -1.0, -1.0))
    # Clipping: every vote on the spy leaves it 1 - 4/3 - 1 -> -1.
    assert finished(game, 0, [0, 0, 0, 0]).rewards().decision[0] == -1.0


def test_observer_decision_rewards_by_hand() -> None:
    game = make(n_scenes=3, decision="observer", n_observers=2)
    state = dealt(game, 0, 0)
    give_clues(state)
    state.apply_action(game.vote_action(0))
    assert not state.is_terminal() and state.returns() == [0.0] * 6
    state.apply_action(game.vote_action(ABSTAIN))
    # v = [1, 0, 0, 0], psi = 1: spy -0.1, civilians 0.1 / 3; observers 2.49 and -0.3.
    assert state.rewards() == SpyRewards(
        pytest.approx((-0.1, 1 / 30, 1 / 30, 1 / 30, 0.0, 0.0)),  # type: ignore[arg-type]
        (0.0, 0.0, 0.0, 0.0, 2.49, -0.3),
    )


def test_text_votes_unreadable_votes_score_as_invalid() -> None:
    game = make(n_scenes=3, clues="text")
    state = dealt(game, 0, 2)
    for _ in range(8):
        state.apply_text_action("\\boxed{there is a red cube}")
    for text in ("\\boxed{3}", "maybe the second?", "N/A", "Player 1"):
        assert "[1] [2] [3] [4] [N/A]" in state.observation_text(state.current_player())
        state.apply_text_action(text)
    assert state.votes() == [2, INVALID, ABSTAIN, 0]
    assert state.invalid_moves() == (0, 1, 0, 0)
    # The unreadable vote: fmt 0, acc -1: -0.3 - 1.2 = -1.5; the spy's N/A: acc +0.2,
    # 0.3 + 0.24 + 0.99 = 1.53; a civilian's wrong vote -0.9.
    assert state.rewards().decision == pytest.approx((2.49, -1.5, 1.53, -0.9))
    assert replay(game, state.history()).returns() == state.returns()


def test_bad_parameters_name_what_is_allowed() -> None:
    with pytest.raises(UnknownNameError, match="allowed: clevr_text, word_pairs"):
        make(data="imagenet")
    with pytest.raises(InvalidParameterError, match=r"n_players must be an integer in \[3, 12\]"):
        make(n_players=2)
    with pytest.raises(InvalidParameterError, match=r"n_rounds must be an integer in \[1, 10\]"):
        make(n_rounds=0)
    with pytest.raises(UnknownNameError, match="allowed: observer, players"):
        make(decision="jury")
    with pytest.raises(UnknownNameError, match="allowed: structured, text"):
        make(clues="images")
    with pytest.raises(InvalidParameterError, match="decision='players'"):
        make(decision="observer", reward="legacy")
    with pytest.raises(InvalidParameterError, match="n_observers applies"):
        make(n_observers=2)
    with pytest.raises(InvalidParameterError, match="n_scenes applies"):
        make(data="word_pairs", n_scenes=10)


# ---- scripted players ---------------------------------------------------------------------------


def observation(state: SpyState, seat: int, seed: int = 0) -> Observation:
    legal = state.legal_actions(seat)
    return Observation(
        game=state.game,
        player=seat,
        legal_actions=tuple(legal),
        legal_action_texts=tuple(state.action_text(a, seat) for a in legal),
        text=state.observation_text(seat),
        information_state_key=state.information_state_key(seat),
        history=(),
        rng=np.random.default_rng(seed),
    )


def test_truthful_player_tells_the_truth_and_votes_on_contradictions() -> None:
    game = make(n_scenes=3)
    state = dealt(game, 0, 1)
    truthful = TruthfulPlayer()
    for _ in range(4):
        seat = state.current_player()
        clue = truthful.act(observation(state, seat, seed=seat))
        assert isinstance(clue, int)
        assert game.source.clue_true(state.item_of(seat), clue)
        assert clue not in [c.clue for c in state.clues()]
        state.apply_action(clue)
    for seat in range(4):  # round 2: P2 (the spy) says what only it has
        text = "the object at position 2 is small" if seat == 1 else "there is a blue cube"
        state.apply_action(game.source.clue_index[text])
    votes = [TruthfulPlayer().act(observation(state, s)) for s in range(4)]
    checks = state.clue_checks()
    liar = {c.seat for c in checks if c.civilian_true is False}
    assert liar == {1}
    assert votes[0] == votes[2] == votes[3] == game.vote_action(1)
    assert TruthfulPlayer().spec() == AgentSpec("spy_truthful", {})
    assert TruthfulPlayer(abstain=False).spec() == AgentSpec("spy_truthful", {"abstain": False})


def test_truthful_player_abstains_without_evidence() -> None:
    game = make(data="word_pairs")
    state = dealt(game, 0, 3, 0)  # coffee for the civilians, tea for seat 3
    give_clues(state, clue=game.source.clue_index["my word contains the letter e"])
    assert TruthfulPlayer().act(observation(state, 0)) == game.vote_action(ABSTAIN)
    spy_vote = BlendingSpy().act(observation(state, 3))
    assert spy_vote in [game.vote_action(p) for p in range(3)]


def test_blending_spy_says_what_both_items_share() -> None:
    # Over the same deals, the blending spy's clues are true of both scenes far more
    # often than the naive (truthful) spy's, and it is caught far less often.
    game = make()
    shares = {}
    caught = {}
    for kind, spy in (("truthful", TruthfulPlayer()), ("blending", BlendingSpy())):
        both = checked = hits = 0
        for seed in range(40):
            agents = [spy if s == 0 else TruthfulPlayer() for s in range(4)]
            state = replay(game, play_match(game, agents, seed).trajectory)
            assert isinstance(state, SpyState)
            outcome = state.outcome()
            assert outcome is not None
            hits += spy_caught(outcome) and outcome.spy == 0
            for c in outcome.clue_checks:
                if c.seat == outcome.spy == 0:
                    checked += 1
                    both += bool(c.civilian_true and c.spy_true)
        shares[kind] = both / checked
        caught[kind] = hits
    assert shares["blending"] >= shares["truthful"] + 0.2
    assert caught["blending"] + 2 <= caught["truthful"]


def test_scripted_players_play_text_moves_as_they_play_ids() -> None:
    players = [BlendingSpy(), TruthfulPlayer(), RandomSpyPlayer(), TruthfulPlayer()]
    structured, text = make(n_scenes=50), make(n_scenes=50, clues="text")
    for seed in range(6):
        a = replay(structured, play_match(structured, players, seed).trajectory)
        b = replay(text, play_match(text, players, seed).trajectory)
        assert isinstance(a, SpyState) and isinstance(b, SpyState)
        assert a.votes() == b.votes() and a.returns() == b.returns()
        assert [c.clue for c in a.clues()] == [c.clue for c in b.clues()]
    with pytest.raises(RedqueenError, match="who_is_the_spy only"):
        TruthfulPlayer().check_game(redqueen.make("kuhn_poker"))


# ---- metrics -------------------------------------------------------------------------------------


def outcome(spy: int, votes: tuple[int, ...], checks: tuple[ClueCheck, ...] = ()) -> SpyOutcome:
    zeros = (0.0,) * 4
    return SpyOutcome(4, spy, 0, "0", (0, 1, 2, 3), votes, checks, SpyRewards(zeros, zeros), zeros)  # type: ignore[arg-type]


def test_metrics_on_hand_built_games() -> None:
    games = [
        # spy 0: civilians vote 0, 0, N/A -> caught; v = [2, 1, 0, 0], psi = 2 - 1/3
        outcome(0, (1, 0, 0, ABSTAIN), (ClueCheck(0, 1, True, True), ClueCheck(1, 1, True, False))),
        # spy 1: civilians vote 2, 1, 2 -> not caught; v = [1, 1, 2, 0], psi = 1 - 3/3
        outcome(1, (2, 0, 1, 2), (ClueCheck(1, 1, False, True), ClueCheck(2, 1, None, None))),
        # spy 2: civilians vote 2, 3, INVALID -> a 1:1 tie, not caught; psi = 2 - 1/3
        outcome(2, (2, 3, 2, INVALID)),
    ]
    m = spy_metrics(games)
    assert m["games"] == 3
    assert (m["spy_caught"]["count"], m["spy_caught"]["n"]) == (1, 3)
    assert m["spy_votes"]["mean"] == pytest.approx((2 + 1 + 2) / 3)
    assert m["psi"]["mean"] == pytest.approx((5 / 3 + 0 + 5 / 3) / 3)
    assert (m["civilian_accuracy"]["count"], m["civilian_accuracy"]["n"]) == (4, 9)
    assert (m["abstain_rate"]["count"], m["invalid_rate"]["count"]) == (1, 1)
    assert (m["civilian_clues_true"]["count"], m["civilian_clues_true"]["n"]) == (1, 1)
    assert (m["spy_clues_true_in_both"]["count"], m["spy_clues_true_in_both"]["n"]) == (1, 2)
    seat = seat_metrics(games, [0])
    assert seat["as_spy"]["games"] == 1 and seat["as_spy"]["caught"]["count"] == 1
    assert (seat["as_civilian"]["accuracy"]["count"], seat["as_civilian"]["accuracy"]["n"]) == (
        1,
        2,
    )


def test_a_person_can_play_it_from_the_terminal() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "redqueen.cli", "play", "who_is_the_spy", "--seed", "3"],
        input="1\n2\nN/A\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "it is your turn to give a clue" in done.stdout
    assert "Decision: vote for the player you think is the spy" in done.stdout
    assert "Game over. The spy was Player" in done.stdout
    assert "game over — returns:" in done.stdout
