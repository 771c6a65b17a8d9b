"""Werewolf: the rules case by case, hidden information, both speech modes, the scripted
players."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.agents.hidden.werewolf import WerewolfAgent
from redqueen.errors import IllegalActionError, InvalidParameterError, UnknownNameError
from redqueen.games import check_game
from redqueen.games.core import CHANCE, TERMINAL
from redqueen.games.hidden.werewolf import ROLES, SeatView, WerewolfState, werewolf
from redqueen.play.match import play_match, replay

# 8 seats: 0, 1 wolves; 2, 3 villagers; 4 seer; 5 witch; 6 hunter; 7 guard
EIGHT = {"wolf": 2, "villager": 2, "seer": 1, "witch": 1, "hunter": 1, "guard": 1}
DEAL8 = ["wolf", "wolf", "villager", "villager", "seer", "witch", "hunter", "guard"]


def dealt(deal: list[str] = DEAL8, roles: dict[str, int] = EIGHT, **params: Any) -> WerewolfState:
    state = werewolf(roles=roles, **params).new_initial_state()
    for role in deal:
        assert state.current_player() == CHANCE
        state.apply_action(ROLES.index(role))
    return state


def move(state: WerewolfState, *names: str) -> None:
    for name in names:
        state.apply_action(state.parse_action(name))


def view(state: WerewolfState, seat: int) -> SeatView:
    key = state.information_state_key(seat)
    assert isinstance(key, SeatView)
    return key


def decision(state: WerewolfState) -> tuple[int, str | None]:
    seat = state.current_player()
    return seat, view(state, seat).decision


def deaths(state: WerewolfState) -> list[tuple[int, ...]]:
    return [tuple(e[2]) for e in state.events() if e[0] == "dawn"]


def pass_speeches(state: WerewolfState) -> None:
    while view(state, state.current_player()).decision in ("speech", "last_words", "pk"):
        move(state, "pass")


# ---- boards ---------------------------------------------------------------------------


def test_boards_and_their_errors() -> None:
    assert werewolf().counts == (4, 4, 1, 1, 1, 1)
    assert werewolf(board="small", players=6).n == 6
    assert werewolf(board="small").n == 9
    with pytest.raises(InvalidParameterError, match="add up to 8 seats, but players=9"):
        werewolf(roles=EIGHT, players=9)
    with pytest.raises(InvalidParameterError, match="standard board has 12 seats"):
        werewolf(players=9)
    with pytest.raises(InvalidParameterError, match=r"6 to 9 seats.*allowed: \[6, 7, 8, 9\]"):
        werewolf(board="small", players=5)
    with pytest.raises(UnknownNameError, match="cupid"):
        werewolf(roles={"wolf": 1, "villager": 1, "cupid": 1})
    with pytest.raises(InvalidParameterError, match="at most one seer"):
        werewolf(roles={"wolf": 1, "villager": 1, "seer": 2})
    with pytest.raises(InvalidParameterError, match="no villager"):
        werewolf(roles={"wolf": 2, "seer": 1, "witch": 1})
    with pytest.raises(UnknownNameError, match="first_night"):
        werewolf(witch_self_save="sometimes")


def test_the_deal_is_seat_by_seat_with_the_remaining_counts() -> None:
    state = werewolf(board="small", players=6).new_initial_state()
    assert state.chance_outcomes() == [(0, 2 / 6), (1, 2 / 6), (2, 1 / 6), (3, 1 / 6)]
    state.apply_action(0)
    assert state.chance_outcomes() == [(0, 1 / 5), (1, 2 / 5), (2, 1 / 5), (3, 1 / 5)]


# ---- the night ------------------------------------------------------------------------


def test_night_order_guard_wolves_witch_seer_then_dawn() -> None:
    state = dealt()
    order = []
    for name in ["protect player 2", "kill player 3", "kill player 3", "do not save"]:
        order.append(decision(state))
        move(state, name)
    order.append(decision(state))
    move(state, "no poison")
    order.append(decision(state))
    move(state, "check player 0")
    assert order == [
        (7, "guard"),
        (0, "wolf"),
        (1, "wolf"),
        (5, "save"),
        (5, "poison"),
        (4, "check"),
    ]
    assert deaths(state) == [(3,)]
    # night 1's dead give last words, then the day's speeches start from seat 0
    assert decision(state) == (3, "last_words")
    move(state, "pass")
    assert decision(state) == (0, "speech")


def test_a_saved_victim_lives_and_the_witch_cannot_poison_that_night() -> None:
    state = dealt()
    move(state, "protect no one", "kill player 2", "kill player 2", "save")
    assert decision(state) == (4, "check")  # no poison decision after a save
    move(state, "check player 1")
    assert deaths(state) == [()]
    assert ("check", 1, 1, True) in view(state, 4).events
    assert ("check", 1, 1, True) not in view(state, 2).events


@pytest.mark.parametrize(
    ("rule", "night1", "night2"),
    [("first_night", True, False), ("never", False, False), ("always", True, True)],
)
def test_the_witch_self_save_rule(rule: str, night1: bool, night2: bool) -> None:
    state = dealt(witch_self_save=rule)
    move(state, "protect no one", "kill player 5", "kill player 5")
    assert view(state, 5).decision == ("save" if night1 else "poison")
    # night 2, the antidote unused: the wolves attack the witch again
    state = dealt(witch_self_save=rule)
    move(state, "protect no one", "kill player 2", "kill player 2", "do not save", "no poison")
    move(state, "check player 1", "pass")  # player 2's last words
    pass_speeches(state)
    for _ in range(7):
        move(state, "abstain")
    assert decision(state) == (7, "guard")
    move(state, "protect no one", "kill player 5", "kill player 5")
    assert view(state, 5).decision == ("save" if night2 else "poison")


def test_the_guard_may_not_protect_the_same_player_two_nights_running() -> None:
    state = dealt()
    move(state, "protect player 3", "kill player 3", "kill player 3", "do not save")
    move(state, "no poison", "check player 0")
    assert deaths(state) == [()]  # protected
    for _ in range(8):
        move(state, "pass")
    for _ in range(8):
        move(state, "abstain")
    assert decision(state) == (7, "guard")
    options = view(state, 7).options
    assert 3 not in options and 2 in options and 8 in options  # 8: protect no one
    with pytest.raises(IllegalActionError):
        state.apply_action(3)


@pytest.mark.parametrize(("rule", "dead"), [(True, (3,)), (False, ())])
def test_protected_and_saved_on_the_same_night(rule: bool, dead: tuple[int, ...]) -> None:
    state = dealt(guard_and_save_kills=rule)
    move(state, "protect player 3", "kill player 3", "kill player 3", "save", "check player 0")
    assert deaths(state) == [dead]


def test_a_poisoned_player_dies_even_when_protected() -> None:
    state = dealt()
    move(state, "protect player 2", "kill player 3", "kill player 3", "do not save")
    move(state, "poison player 2", "check player 0")
    assert deaths(state) == [(2, 3)]


def test_a_tied_wolf_vote_is_a_chance_node() -> None:
    state = dealt()
    move(state, "protect no one", "kill player 2", "kill player 3")
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(2, 0.5), (3, 0.5)]
    state.apply_action(3)
    assert view(state, 5).decision == "save"
    assert ("victim", 1, 3) in view(state, 5).events
    assert ("kill", 1, 3) in view(state, 0).events and ("kill", 1, 3) in view(state, 1).events


# ---- the hunter -----------------------------------------------------------------------


def test_the_hunter_killed_at_night_shoots() -> None:
    state = dealt()
    move(state, "protect no one", "kill player 6", "kill player 6", "do not save", "no poison")
    move(state, "check player 0")
    move(state, "pass")  # the hunter's last words
    assert decision(state) == (6, "shoot")
    move(state, "shoot player 2")
    assert ("shot", 6, 2) in state.events()
    assert decision(state) == (2, "last_words")
    assert view(state, 0).alive == (True, True, False, True, True, True, False, True)


def test_a_poisoned_hunter_does_not_shoot() -> None:
    state = dealt()
    move(state, "protect no one", "kill player 2", "kill player 2", "do not save")
    move(state, "poison player 6", "check player 0")
    move(state, "pass", "pass")  # last words of 2 and 6
    assert decision(state) == (0, "speech")
    assert not any(e[0] == "shot" for e in state.events())


def test_an_exiled_hunter_shoots_after_last_words() -> None:
    state = dealt()
    move(state, "protect no one", "kill player 2", "kill player 2", "save", "check player 0")
    pass_speeches(state)
    for voter in range(8):
        move(state, "vote player 6" if voter != 6 else "abstain")
    assert ("exile", 1, 6) in state.events()
    assert decision(state) == (6, "last_words")
    move(state, "pass")
    assert decision(state) == (6, "shoot")


# ---- the day --------------------------------------------------------------------------


def _first_day(**params: Any) -> WerewolfState:
    state = dealt(**params)
    move(state, "protect no one", "kill player 2", "kill player 2", "save", "check player 0")
    pass_speeches(state)
    return state


def test_votes_are_hidden_until_everyone_has_voted() -> None:
    state = _first_day()
    move(state, "vote player 1")
    assert ("my_vote", 1, "vote", 1, 1) in view(state, 0).events
    assert not any(e[0] == "my_vote" for e in view(state, 1).events)
    # seat 1 cannot tell whom seat 0 voted for: the same key after a different vote
    other = _first_day()
    move(other, "vote player 5")
    assert view(state, 1) == view(other, 1)


def test_a_tie_leads_to_pk_speeches_and_a_revote_by_the_others() -> None:
    state = _first_day()
    for target in [2, 2, 3, 3, 2, 3, "-", "-"]:
        move(state, "abstain" if target == "-" else f"vote player {target}")
    assert ("tie", 1, "vote", (2, 3)) in state.events()
    assert decision(state) == (2, "pk")
    move(state, "pass", "pass")
    voters = []
    while view(state, state.current_player()).decision == "vote":
        voters.append(state.current_player())
        assert view(state, voters[-1]).options == (2, 3, 8)
        move(state, "vote player 3")
    assert voters == [0, 1, 4, 5, 6, 7]
    assert ("exile", 1, 3) in state.events()


def test_a_second_tie_exiles_no_one() -> None:
    state = _first_day()
    for target in [2, 2, 3, 3, 2, 3, 0, 0]:
        move(state, f"vote player {target}")
    assert decision(state) == (2, "pk")
    move(state, "pass", "pass")
    for target in [2, 3, 2, 3, 2, 3]:  # seats 0, 1, 4, 5, 6, 7
        move(state, f"vote player {target}")
    exile = [e for e in state.events() if e[0] == "exile"]
    assert exile == [("exile", 1, -1)]
    assert decision(state) == (7, "guard")


def test_the_sheriff_vote_counts_one_and_a_half() -> None:
    state = dealt(sheriff=True)
    move(state, "protect no one", "kill player 2", "kill player 2", "save", "check player 0")
    for seat in range(8):
        move(state, "run for sheriff" if seat == 4 else "do not run")
    # a single candidate needs no vote
    assert ("sheriff", 4) in state.events()
    pass_speeches(state)
    for target in [2, 2, 3, 3, 3, 2, 2, 3]:
        move(state, f"vote player {target}")
    # 4 votes each, but the sheriff (seat 4) voted for 3: 4.5 against 4
    assert ("exile", 1, 3) in state.events()
    assert not any(e[0] == "tie" for e in state.events())


# ---- winning --------------------------------------------------------------------------


def test_wolves_win_when_every_god_is_dead() -> None:
    state = dealt(["wolf", "villager", "villager", "seer"], {"wolf": 1, "villager": 2, "seer": 1})
    move(state, "kill player 3", "check player 0")
    assert state.is_terminal() and state.winner() == "wolves"
    assert state.returns() == [1.0, -1.0, -1.0, -1.0]


def test_wolves_win_when_every_villager_is_dead() -> None:
    roles = {"wolf": 1, "villager": 1, "seer": 1, "hunter": 1}
    state = dealt(["wolf", "villager", "seer", "hunter"], roles)
    move(state, "kill player 1", "check player 0")
    assert state.winner() == "wolves" and state.current_player() == TERMINAL


def test_the_village_wins_when_every_wolf_is_exiled() -> None:
    state = dealt(["wolf", "villager", "villager", "seer"], {"wolf": 1, "villager": 2, "seer": 1})
    move(state, "kill player 1", "check player 0", "pass")  # 1's last words
    pass_speeches(state)
    for _ in range(3):
        move(state, "vote player 0")
    assert state.winner() == "village"
    assert state.returns() == [-1.0, 1.0, 1.0, 1.0]
    assert "Game over. The village wins." in state.observation_text(2)


def test_a_game_past_max_days_is_a_draw() -> None:
    state = dealt(
        ["wolf", "villager", "villager", "seer"], {"wolf": 1, "villager": 2, "seer": 1}, max_days=1
    )
    move(state, "no kill", "check player 0")
    pass_speeches(state)
    for _ in range(4):
        move(state, "abstain")
    assert state.winner() == "draw" and state.returns() == [0.0] * 4


# ---- information ----------------------------------------------------------------------


def test_wolves_see_each_other_and_others_see_only_their_own_role() -> None:
    state = dealt()
    assert view(state, 0).wolves == (0, 1) and view(state, 1).wolves == (0, 1)
    assert all(view(state, s).wolves == () for s in range(2, 8))
    assert view(state, 4).role == "seer" and "Your role: seer." in state.observation_text(4)
    assert "wolves are players 0, 1" in state.observation_text(0)
    assert "wolf" not in state.observation_text(2).split("Your role:")[1].split("\n")[0]
    move(state, "protect player 2", "kill player 3")
    # the wolves see each other's votes; no one else sees them or the guard's choice
    assert ("wolf_vote", 1, 0, 3) in view(state, 1).events
    for seat in range(2, 8):
        assert not any(e[0] in ("wolf_vote", "kill") for e in view(state, seat).events)
    assert ("protect", 1, 2) in view(state, 7).events
    assert not any(e[0] == "protect" for e in view(state, 0).events)
    # a villager cannot tell one night's kill target from another before dawn
    other = dealt()
    move(other, "protect player 2", "kill player 4")
    assert view(state, 2) == view(other, 2) and view(state, 0) != view(other, 0)


# ---- check_game, text speech, scripted players ---------------------------------------------


@pytest.mark.parametrize(
    ("params", "games"),
    [({}, 2), ({"board": "small", "players": 7, "sheriff": True, "witch_self_save": "never"}, 6)],
)
def test_check_game(params: dict[str, Any], games: int) -> None:
    report = check_game(redqueen.make("werewolf", **params), n_games=games, clone_every=17)
    assert report.games_played == games


def test_text_speech_is_free_and_capped_and_bad_moves_count_as_invalid() -> None:
    state = dealt(speech="text", max_speech_chars=10)
    assert state.game.spec.text_actions
    state.apply_text_action("[protect player 2]")
    state.apply_text_action("kill player 3")
    state.apply_text_action("I refuse to choose")  # names no move: counted, played as no kill
    assert state.invalid_moves() == (0, 1, 0, 0, 0, 0, 0, 0)
    assert ("wolf_vote", 1, 1, -1) in view(state, 0).events
    for text in ["do not save", "no poison", "check player 0", "pass"]:
        state.apply_text_action(text)
    state.apply_text_action("I am the seer, trust me")
    assert ("say", 1, "speech", 0, "I am the s") in state.events()
    assert "[pass]" in state.observation_text(state.current_player())
    again = replay(state.game, state.history())
    assert again.events() == state.events() and again.invalid_moves() == state.invalid_moves()


@pytest.mark.parametrize("speech", ["claims", "text"])
def test_scripted_players_play_whole_games_the_same_way_in_both_modes(speech: str) -> None:
    game = werewolf(speech=speech)
    results = [play_match(game, [WerewolfAgent()] * 12, seed=s, on_invalid="raise") for s in (1, 2)]
    states = [replay(game, r.trajectory) for r in results]
    assert all(s.is_terminal() for s in states)
    assert all(r.invalid_moves == (0,) * 12 for r in results)
    seer = [states[0].role_of(s) for s in range(12)].index("seer")
    said = [e for e in states[0].events() if e[0] == "say" and e[3] == seer]
    check = next(e for e in states[0].events() if e[0] == "check")
    verdict = "a wolf" if check[3] else "good"
    assert said[0][4] == f"claim seer: player {check[2]} is {verdict}"
    # the scripted players write their claims' names: the same game in either mode
    other = werewolf(speech="text" if speech == "claims" else "claims")
    twin = replay(other, play_match(other, [WerewolfAgent()] * 12, seed=1).trajectory)
    assert twin.events() == states[0].events()


def test_random_players_and_the_agent_refuses_other_games() -> None:
    game = werewolf(board="small", players=6, speech="text")
    result = play_match(game, [WerewolfAgent("random")] * 6, seed=4, on_invalid="raise")
    assert replay(game, result.trajectory).is_terminal()
    with pytest.raises(UnknownNameError):
        WerewolfAgent("clever")
    with pytest.raises(redqueen.errors.RedqueenError, match="only werewolf"):
        WerewolfAgent().check_game(redqueen.make("kuhn_poker"))
    assert np.isfinite(result.returns).all()
