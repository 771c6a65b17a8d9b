"""Hanabi as MARS plays it: the presets, hand-dealt games with exact texts and scores,
MARS's text protocol (checked against a copy of MARS's own rendering code), the key that
is not perfect recall, the checker, random play against the published means, and the
rule-based player."""

from __future__ import annotations

import math
import pickle
import re
from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.agents.core import Observation
from redqueen.agents.hidden.hanabi import HanabiRuleAgent
from redqueen.agents.random_agent import RandomAgent
from redqueen.errors import RedqueenError, UnknownNameError
from redqueen.games import check_game
from redqueen.games.core import sample_chance_outcome
from redqueen.games.hidden.hanabi import PRESETS, HanabiGame, HanabiState, read_observation
from redqueen.play.match import play_match

pyspiel = pytest.importorskip("pyspiel", reason="the hanabi game runs on OpenSpiel")

R1, R2, Y1, Y2 = 0, 1, 2, 3  # chance outcomes of the mini deck (colour-major, rank-minor)
DISCARD, PLAY, COLOR, RANK = 0, 3, 6, 8  # first action id of each kind in mini (hand of 3)


def deal(preset: str, cards: list[int]) -> HanabiState:
    """A game of ``preset`` whose first chance outcomes are ``cards`` (player 0's hand,
    then player 1's)."""
    state = redqueen.make("hanabi", preset=preset).new_initial_state()
    assert isinstance(state, HanabiState)
    for card in cards:
        state.apply_action(card)
    return state


# ---- presets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "params", "actions", "length", "best", "deck"),
    [
        ("mini", (2, 2, 3, 3, 3), 10, 25 + 25, 4, 8),
        ("simple", (3, 2, 5, 8, 3), 15, 42 + 42, 6, 12),
        ("full", (3, 3, 5, 8, 3), 16, 54 + 54, 9, 18),
    ],
)
def test_presets_are_mars_configurations(
    preset: str,
    params: tuple[int, ...],
    actions: int,
    length: int,
    best: int,
    deck: int,
) -> None:
    game = redqueen.make("hanabi", preset=preset)
    assert isinstance(game, HanabiGame)
    p = game.preset
    assert (p.colors, p.ranks, p.hand_size, p.max_information_tokens, p.max_life_tokens) == params
    assert p.openspiel_params() == {
        "players": 2,
        "colors": params[0],
        "ranks": params[1],
        "hand_size": params[2],
        "max_information_tokens": params[3],
        "max_life_tokens": params[4],
    }
    assert (p.max_score, p.deck_size) == (best, deck)
    assert dict(game.openspiel_game.get_parameters()) == p.openspiel_params()
    spec = game.spec
    assert (spec.id, spec.num_players, spec.num_distinct_actions) == ("hanabi", 2, actions)
    assert spec.max_game_length == length  # OpenSpiel's player moves plus the deals
    assert (spec.min_utility, spec.max_utility) == (0.0, float(best))
    assert str(spec.chance) == "explicit" and str(spec.utility) == "general_sum"
    assert spec.utility_sum is None and not spec.perfect_information
    assert spec.params == {"preset": preset}
    assert redqueen.make(spec.id, **spec.params).spec == spec
    assert pickle.loads(pickle.dumps(game)).spec == spec


def test_the_default_preset_is_mini_and_an_unknown_one_names_the_allowed() -> None:
    assert redqueen.make("hanabi").params == {"preset": "mini"}
    with pytest.raises(UnknownNameError, match="allowed: full, mini, simple"):
        redqueen.make("hanabi", preset="huge")


# ---- hand-dealt games ------------------------------------------------------------------------


def test_a_hand_dealt_game_reads_as_mars_shows_it() -> None:
    state = deal("mini", [R1, R1, Y2, Y1, R2, Y1])  # the deck keeps one R1 and one Y1
    assert state.current_player() == 0
    state.apply_action(RANK + 0)  # player 0 reveals player 1's 1s
    assert state.observation_text(1) == (
        "1. There are 3 life tokens and 2 information tokens remaining.\n"
        "2. The top of the color stacks are: R0 Y0.\n"
        "3. 2 cards remain in the draw pile.\n"
        "4. The discard pile currently contains: None.\n"
        "5. The other player's hand:\n"
        "    - Card 0 (R1): the other player believes it is one of the colors [R, Y] and one "
        "of the ranks [1, 2].\n"
        "    - Card 1 (R1): the other player believes it is one of the colors [R, Y] and one "
        "of the ranks [1, 2].\n"
        "    - Card 2 (Y2): the other player believes it is one of the colors [R, Y] and one "
        "of the ranks [1, 2].\n"
        "6. Your own hand, based on the revealed information:\n"
        "    - Card 0: one of the colors [R, Y] and one of the ranks [1].\n"
        "    - Card 1: one of the colors [R, Y] and one of the ranks [2].\n"
        "    - Card 2: one of the colors [R, Y] and one of the ranks [1]."
    )
    assert state.action_text(PLAY + 0) == "<Play card 0>"
    state.apply_action(PLAY + 0)  # player 1 plays its Y1
    assert state.chance_outcomes() == [(R1, 0.5), (Y1, 0.5)]
    state.apply_action(R1)  # and draws the R1
    assert state.returns() == [1.0, 1.0]
    view = state.view(0)
    assert dict(view.fireworks) == {"R": 0, "Y": 1}
    assert view.other_cards == ("R2", "Y1", "R1") and view.deck_size == 1
    assert (view.life_tokens, view.info_tokens, view.to_move) == (3, 2, True)
    assert state.view(1).to_move is False
    assert "2. The top of the color stacks are: R0 Y1." in state.observation_text(0)
    state.apply_action(DISCARD + 2)  # player 0 discards its Y2 and draws the last Y1
    state.apply_action(Y1)
    assert state.view(1).discards == ("Y2",)
    assert "4. The discard pile currently contains: Y2." in state.observation_text(1)


def test_losing_the_last_life_zeroes_the_score() -> None:
    state = deal("mini", [R1, R2, Y2, R1, R1, Y1])  # the deck keeps two Y1s
    state.apply_action(PLAY + 0)  # player 0 plays R1: 1 point
    state.apply_action(Y1)
    assert state.returns() == [1.0, 1.0]
    state.apply_action(PLAY + 0)  # player 1 plays R1 onto R1: a life lost
    state.apply_action(Y1)  # the deck is empty: one more turn each
    state.apply_action(PLAY + 1)  # player 0 plays Y2 onto nothing: a life lost
    assert (state.view(0).life_tokens, state.score()) == (1, 1)
    state.apply_action(PLAY + 0)  # player 1 plays R1 again: the last life
    assert state.is_terminal() and state.returns() == [0.0, 0.0]
    assert state.view(0).life_tokens == 0 and sum(state.view(0).fireworks.values()) == 1
    assert state.observation_text(1) == "The game is over. The final score is 0 of 4."


def test_discarding_is_refused_while_the_information_tokens_are_full() -> None:
    state = deal("mini", [R1, R1, Y2, Y1, R2, Y1])
    names = [state.action_text(a) for a in state.legal_actions()]
    assert not any(n.startswith("<Discard") for n in names)
    with pytest.raises(RedqueenError, match="illegal action 0"):
        state.apply_action(DISCARD + 0)


def test_the_key_is_the_observation_and_not_perfect_recall() -> None:
    first = deal("mini", [R1, R1, Y2, Y1, R2, Y1])
    second = first.clone()
    for action in (COLOR + 0, COLOR + 0, RANK + 0):  # colour R, colour R, rank 1
        first.apply_action(action)
    for action in (RANK + 0, COLOR + 0, COLOR + 0):  # the same hints in another order
        second.apply_action(action)
    assert first.history() != second.history()
    for player in (0, 1):  # each player saw the hints come in a different order ...
        key = first.information_state_key(player)
        assert key == second.information_state_key(player)  # ... and the key forgets it
        assert key == first.openspiel_state.observation_string(player)


# ---- MARS's text protocol -------------------------------------------------------------------


def mars_render(os_state: Any) -> str:
    """MARS's GAME STATE text, copied from thu-nics/MARS @5979f75
    ``roll/agentic/env/hanabi/env.py`` (``_render_text`` and ``_get_player_obs``), as the
    reference our view must equal."""
    lines = os_state.observation_string().strip().split("\n")
    r: dict[str, Any] = {"discards": "", "other_info": {}, "current_player_info": {}}
    in_hands, hands, current, index = False, [], None, None
    for line in lines:
        if line.startswith("Life tokens:"):
            r["life_tokens"] = int(line.split(":")[1].strip())
        elif line.startswith("Info tokens:"):
            r["info_tokens"] = int(line.split(":")[1].strip())
        elif line.startswith("Fireworks:"):
            r["fireworks"] = line.split(":", 1)[1].strip()
        elif line.strip() == "Hands:":
            in_hands = True
        elif line.strip() == "Cur player":
            current = len(hands)
        elif line.startswith("Deck size:"):
            r["deck_size"] = int(line.split(":")[1].strip())
            in_hands = False
        elif line.startswith("Discards:"):
            r["discards"] = line.split(":", 1)[1].strip()
        elif in_hands:
            if line.strip() != "-----":
                hands.append(line.strip())
            else:
                index = len(hands)
    own, other = (hands[:index], hands[index:]) if current == 0 else (hands[index:], hands[:index])
    for i, card in enumerate(own):
        info = card.split("|")[-1]
        r["current_player_info"][f"{i}"] = {
            "digits": re.findall(r"\d", info),
            "colors": re.findall(r"[A-Za-z]", info),
        }
    for i, card in enumerate(other):
        info = card.split("|")[-1]
        r["other_info"][f"{i}"] = {
            "visible_card": card.split("||")[0].strip(),
            "digits": re.findall(r"\d", info),
            "colors": re.findall(r"[A-Za-z]", info),
        }
    out = [
        f"1. There are {r['life_tokens']} life tokens and {r['info_tokens']} information "
        "tokens remaining.",
        f"2. The top of the color stacks are: {r['fireworks']}.",
        f"3. {r['deck_size']} cards remain in the draw pile.",
        f"4. The discard pile currently contains: {r['discards'] or 'None'}.",
        "5. The other player's hand:",
    ]
    for i, c in r["other_info"].items():
        out.append(
            f"    - Card {i} ({c['visible_card']}): the other player believes it is one of the "
            f"colors [{', '.join(c['colors'])}] and one of the ranks [{', '.join(c['digits'])}]."
        )
    out.append("6. Your own hand, based on the revealed information:")
    for i, c in r["current_player_info"].items():
        out.append(
            f"    - Card {i}: one of the colors [{', '.join(c['colors'])}] and one of the "
            f"ranks [{', '.join(c['digits'])}]."
        )
    return "\n".join(out)


def mars_action(os_state: Any, player: int, action: int) -> str:
    """MARS's ``_action_to_string`` (same source)."""
    text = os_state.action_to_string(player, action).replace("(", "<").replace(")", ">")
    return text.replace("Play", "Play card").replace("Discard", "Discard card")


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_text_view_equals_mars_and_every_move_name_parses_back(preset: str) -> None:
    game = redqueen.make("hanabi", preset=preset)
    rng = np.random.default_rng(7)
    pattern = re.compile(
        r"^<(Play card \d|Discard card \d|Reveal player \+1 color [RYG]|"
        r"Reveal player \+1 rank \d)>$"
    )
    decisions = 0
    for _ in range(40):
        state = game.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                state.apply_action(sample_chance_outcome(state, rng))
                continue
            player = state.current_player()
            os_state = state.openspiel_state  # type: ignore[attr-defined]
            assert state.observation_text(player) == mars_render(os_state)
            legal = state.legal_actions()
            for action in legal:
                text = state.action_text(action)
                assert pattern.match(text) and text == mars_action(os_state, player, action)
                assert state.parse_action(text) == action
                assert state.parse_action(text.lower()) == action
            decisions += 1
            state.apply_action(int(rng.choice(legal)))
    assert decisions > 150


def test_mars_prompt_example_move_parses_although_mars_would_refuse_it() -> None:
    state = deal("mini", [R1, R1, Y2, Y1, R2, Y1])
    state.apply_action(RANK + 0)  # a token spent: discarding is legal
    state.apply_action(RANK + 0)
    assert state.parse_action("<Discard Card 0>") == DISCARD + 0  # MARS's own example


def test_rules_and_prompt_are_mars_words_for_the_preset() -> None:
    full = redqueen.make("hanabi", preset="full")
    assert isinstance(full, HanabiGame)
    rules = full.rules_text()
    assert rules.startswith("GAME RULES:\n1. Hanabi is a cooperative card game for 2 players")
    assert (
        "2. The deck consists of 3 colors: Red(denoted by R), Yellow(denoted by Y), "
        "Green(denoted by G), with ranks ranging from 1 to 3. Each color contains 6 cards: "
        "three of rank 1, two of rank 2, and one of rank 3, for a total of 18 cards.\n"
    ) in rules
    assert "highest possible total score of 9.\n" in rules
    assert "\n\nPLAYER INFORMATION:\n1. You will be playing as one of the two players" in rules
    system, user = full.mars_prompt(1)
    assert system == (
        "You are an AI agent that makes optimal decisions to achieve the highest score in "
        "the game of hanabi."
    )
    assert "PLAYER INFORMATION:\n1. You will be playing as the player 1.\n" in user
    assert user.endswith(
        "For example, `<answer><Discard Card 0></answer>`. Strictly follow the above format "
        "and keep your thinking process concise. Responses that do not follow the format will "
        "result in immediate loss of all life tokens and end of the game.\n\n"
    )
    mini = redqueen.make("hanabi")
    assert (
        "Each color contains 4 cards: three of rank 1, and one of rank 2, for a total of 8 "
        "cards." in mini.rules_text()
    )


def test_read_observation_refuses_a_malformed_card() -> None:
    text = "Life tokens: 3\nInfo tokens: 3\nFireworks: R0 Y0 \nHands:\nR1 | broken\nDeck size: 2"
    with pytest.raises(RedqueenError, match="not a card"):
        read_observation(text)


# ---- the checker and random play -------------------------------------------------------------


@pytest.mark.parametrize(("preset", "games"), [("mini", 40), ("simple", 25), ("full", 15)])
def test_check_game(preset: str, games: int) -> None:
    report = check_game(redqueen.make("hanabi", preset=preset), n_games=games, clone_every=3)
    assert report.games_played == games and report.states_visited > games * 8


RANDOM_MEANS = {"mini": 1.45, "simple": 1.60, "full": 1.21}
"""Mean scores of uniformly random play over 3,000 games, measured with OpenSpiel 2.0.2's
hanabi outside redqueen (research notes on MARS). Their standard errors are about 0.014,
0.016 and 0.031 (random play's standard deviations, 0.79, 0.85 and 1.71, over sqrt(3000))."""


@pytest.mark.parametrize("preset", sorted(RANDOM_MEANS))
def test_random_play_scores_the_published_mean(preset: str) -> None:
    game = redqueen.make("hanabi", preset=preset)
    agent = RandomAgent()
    n = 300
    scores = np.array([play_match(game, [agent, agent], seed=k).returns[0] for k in range(n)])
    # both means are estimates: four standard errors of their difference
    reference_se = scores.std(ddof=1) / math.sqrt(3000)
    margin = 4 * math.sqrt(scores.var(ddof=1) / n + reference_se**2)
    assert margin < 0.45
    assert abs(scores.mean() - RANDOM_MEANS[preset]) < margin


MARS_PARAMETERS = {
    "mini": {"colors": 2, "ranks": 2, "hand_size": 3, "max_information_tokens": 3},
    "simple": {"colors": 3, "ranks": 2, "hand_size": 5, "max_information_tokens": 8},
    "full": {"colors": 3, "ranks": 3, "hand_size": 5, "max_information_tokens": 8},
}
"""MARS's three games as OpenSpiel parameters, written out from the research notes (not
read from ``PRESETS``), all with 2 players and 3 lives."""


def openspiel_random_scores(preset: str, n: int, seed: int) -> np.ndarray:
    """Scores of ``n`` uniformly random games of OpenSpiel's own ``hanabi``, no redqueen."""
    params = {"players": 2, "max_life_tokens": 3, **MARS_PARAMETERS[preset]}
    game = pyspiel.load_game("hanabi", params)
    rng = np.random.default_rng(seed)
    scores = np.empty(n)
    for k in range(n):
        state = game.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                outcomes, probs = zip(*state.chance_outcomes(), strict=True)
                state.apply_action(int(rng.choice(outcomes, p=probs)))
            else:
                legal = state.legal_actions()
                state.apply_action(int(legal[rng.integers(len(legal))]))
        scores[k] = state.returns()[0]
    return scores


@pytest.mark.parametrize("preset", sorted(MARS_PARAMETERS))
def test_random_play_scores_as_openspiel_own_hanabi(preset: str) -> None:
    """The score distribution of random play through redqueen equals OpenSpiel's own (a
    chi-square test of the two histograms), so the presets, the chance sampling and the
    random player are OpenSpiel's. Over 100,000 games each the means were 1.439 / 1.584 /
    1.186 here and 1.435 / 1.587 / 1.195 for OpenSpiel (standard errors 0.003 to 0.005)."""
    scipy_stats = pytest.importorskip("scipy.stats", reason="the chi-square test")
    n = 1500
    game = redqueen.make("hanabi", preset=preset)
    agent = RandomAgent()
    ours = np.array([play_match(game, [agent, agent], seed=k).returns[0] for k in range(n)])
    theirs = openspiel_random_scores(preset, n, seed=12345)
    top = int(max(ours.max(), theirs.max()))
    table = np.array([np.bincount(x.astype(int), minlength=top + 1) for x in (ours, theirs)])
    table = table[:, table.sum(axis=0) > 0]
    result = scipy_stats.chi2_contingency(table)
    assert result.pvalue > 1e-3, (preset, table.tolist())


# ---- the rule-based player --------------------------------------------------------------------


def rule_moves(state: HanabiState, deck: list[int]) -> list[tuple[int, str]]:
    """Two rule-based players play ``state`` to the end, drawing ``deck`` in order."""
    game = state.game
    agent = HanabiRuleAgent()
    moves = []
    while not state.is_terminal():
        if state.is_chance_node():
            state.apply_action(deck.pop(0))
            continue
        player = state.current_player()
        legal = state.legal_actions()
        obs = Observation(
            game=game,
            player=player,
            legal_actions=tuple(legal),
            legal_action_texts=tuple(state.action_text(a) for a in legal),
            text=state.observation_text(player),
            information_state_key=state.information_state_key(player),
            history=(),
            rng=np.random.default_rng(0),
        )
        action = agent.act(obs)
        moves.append((player, state.action_text(action)))
        state.apply_action(action)
    return moves


def test_rule_player_hints_plays_and_discards_by_its_rules() -> None:
    state = deal("mini", [R1, R1, Y2, Y1, R2, Y1])
    moves = rule_moves(state, [R1, Y1])
    assert moves == [
        (0, "<Reveal player +1 rank 1>"),  # partner's Y1 is playable
        (1, "<Play card 0>"),  # every 1 is playable on empty stacks
        (0, "<Reveal player +1 rank 1>"),  # the newly drawn R1 is playable
        (1, "<Reveal player +1 rank 1>"),  # its 1s may be Y1 (not playable): hint instead
        (0, "<Discard card 2>"),  # no token left: the only card no hint touched (Y2)
        (1, "<Reveal player +1 color R>"),  # partner knows the rank of its R1, not the colour
        (0, "<Play card 0>"),  # now known to be R1
    ]
    assert state.returns() == [2.0, 2.0]


def test_rule_player_refuses_other_games() -> None:
    with pytest.raises(RedqueenError, match="hanabi only"):
        HanabiRuleAgent().check_game(redqueen.make("kuhn_poker"))


@pytest.mark.parametrize(("preset", "margin"), [("mini", 0.5), ("simple", 0.8), ("full", 4.0)])
def test_rule_player_beats_random_play(preset: str, margin: float) -> None:
    game = redqueen.make("hanabi", preset=preset)
    rules, rand = HanabiRuleAgent(), RandomAgent()
    n = 150
    diffs = [
        play_match(game, [rules, rules], seed=k).returns[0]
        - play_match(game, [rand, rand], seed=k).returns[0]
        for k in range(n)
    ]
    # measured over seeds 0..2999: 0.97, 1.23 and 5.88 more points than random play, with
    # standard deviations of the paired difference 0.98, 0.93 and 1.89 (standard errors
    # here 0.08, 0.08 and 0.15: each margin lies at least 5.5 of them below)
    assert np.mean(diffs) > margin
