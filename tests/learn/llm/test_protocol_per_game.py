"""A protocol per game: one collection pays each game by its own rules, MARS's poker
penalty charges an invalid reply the chips the seat has put in (hand-computed on scripted
Kuhn and Leduc games), the loop's evaluation follows each game's protocol, and a recipe's
``protocol.games`` is checked before any step. A scripted generator answers, so no model
is needed."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.experiments import RecipeError, parse_recipe
from redqueen.games.core import CHANCE, Game, sample_chance_outcome
from redqueen.learn.llm.collector import (
    Collector,
    EpisodeRecord,
    PolicySeat,
    Prompter,
    Protocol,
    prompt_vocabulary,
    protocol,
    protocol_from_config,
)
from redqueen.learn.llm.generators import Generation
from redqueen.learn.llm.loop import LoopConfig, evaluate
from redqueen.learn.llm.tiny import word_tokenizer

TTT = redqueen.make("tic_tac_toe")
KUHN = redqueen.make("kuhn_poker")
LEDUC = redqueen.make("leduc_poker")
DRAW = ["a1", "b1", "c1", "b2", "a2", "c2", "b3", "a3", "c3"]
"""Tic-tac-toe cells, x and o in turn, that fill the board with no line: a draw."""


def plain(preset: str, **fields: Any) -> Protocol:
    """A preset in the plain prompt style of the word-level test tokenizer."""
    return protocol(preset, prompt_style="plain", **fields)


@pytest.fixture(scope="module")
def tok() -> Any:
    return word_tokenizer([*prompt_vocabulary([TTT, KUHN, LEDUC], "plain"), "nonsense"])


class ByGame:
    """Replies ``scripts[name][k]`` to the k-th prompt of the game whose view names
    ``name`` (one episode per game), then end-of-sequence; a script that has run out
    answers ``nonsense``."""

    def __init__(self, tokenizer: Any, scripts: Mapping[str, Sequence[str]]) -> None:
        self.tok = tokenizer
        self.scripts = {name: list(moves) for name, moves in scripts.items()}
        self.asked = dict.fromkeys(scripts, 0)

    def generate(self, prompts: Sequence[Sequence[int]], **_: object) -> list[Generation]:
        out = []
        for prompt in prompts:
            text = self.tok.decode(list(prompt), skip_special_tokens=True)
            (name,) = [n for n in self.scripts if n in text]
            k = self.asked[name]
            self.asked[name] += 1
            move = self.scripts[name][k] if k < len(self.scripts[name]) else "nonsense"
            ids = [*self.tok.encode(move, add_special_tokens=False), self.tok.eos_token_id]
            out.append(Generation(ids, [-0.5] * len(ids), "stop"))
        return out


def play(
    tok: Any, rules: Protocol, scripts: Mapping[str, Sequence[str]], games: Sequence[Game]
) -> list[EpisodeRecord]:
    collector = Collector(rules, {0: ByGame(tok, scripts)}, Prompter(tok, "plain"))
    return collector.play([(g, [PolicySeat(0), PolicySeat(0)]) for g in games], seed=0)


def turn_rewards(record: EpisodeRecord) -> dict[int | str, list[float]]:
    return {t.role: list(t.rewards) for t in record.traces}


# ---- one collection, two protocols ------------------------------------------------------

RAISE_RAISE_NONSENSE = ["raise", "raise"]  # then seat 0 answers nonsense


def test_each_game_of_one_collection_is_paid_by_its_own_protocol(tok: Any) -> None:
    scripts = {"Tic-tac-toe": DRAW, "Leduc": RAISE_RAISE_NONSENSE}
    games = [TTT, LEDUC]
    mixed = plain("mars", games={"leduc_poker": plain("mars_poker")})
    ttt, leduc = play(tok, mixed, scripts, games)
    # tic-tac-toe by mars: the draw pays +0.1 to both, on top of +0.05 per valid move
    assert ttt.returns == [0.0, 0.0] and ttt.rewards == pytest.approx([0.1, 0.1])
    assert turn_rewards(ttt) == {
        0: pytest.approx([0.05] * 4 + [0.05 + 0.1]),
        1: pytest.approx([0.05] * 3 + [0.05 + 0.1]),
    }
    # Leduc by mars_poker: seat 0 raised to 3 chips (ante 1 + raise 2), seat 1 re-raised,
    # then seat 0's invalid reply costs -(3) - 10; seat 1 gets 0
    assert leduc.invalid_by == 0 and leduc.rewards == pytest.approx([-13.0, 0.0])
    assert turn_rewards(leduc) == {0: pytest.approx([0.05, -13.0]), 1: pytest.approx([0.05])}
    # the same games under mars alone: Leduc's invalid reply costs -11
    ttt_one, leduc_one = play(tok, plain("mars"), scripts, games)
    assert ttt_one.rewards == ttt.rewards and leduc_one.rewards == pytest.approx([-11.0, 0.0])
    # tic-tac-toe given its own protocol, with no draw bonus: only its rewards change
    both = plain(
        "mars",
        games={"tic_tac_toe": plain("mars", draw_reward=0.0), "leduc_poker": plain("mars_poker")},
    )
    ttt_own, leduc_own = play(tok, both, scripts, games)
    assert ttt_own.rewards == [0.0, 0.0] and leduc_own.rewards == leduc.rewards


def test_the_loops_evaluation_pays_each_game_by_its_protocol(tok: Any) -> None:
    """Every reply invalid: each game's mean reward is its own invalid-reply reward."""
    rules = plain("mars", games={"leduc_poker": plain("spiral")})
    config = LoopConfig(eval_games=4, evaluators=("random",), exploitability=False)
    current = ByGame(tok, {"Tic-tac-toe": [], "Leduc": []})
    out = evaluate(None, tok, [TTT, LEDUC], rules, config, step=1, current=current)
    assert out["eval/tic_tac_toe/random/mean_reward"] == -11.0
    assert out["eval/leduc_poker/random/mean_reward"] == -1.5
    assert out["eval/leduc_poker/random/invalid_rate"] == 1.0


# ---- MARS's poker rules, by hand -----------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "offender", "stake"),
    [
        ([], 0, 1),  # seat 0's first reply: only its ante is in
        (["bet"], 1, 1),  # seat 1 facing a bet has put in only its ante
        (["pass", "bet"], 0, 1),  # seat 0 facing seat 1's bet: its ante
    ],
)
def test_an_invalid_reply_in_kuhn_always_costs_eleven(
    tok: Any, script: list[str], offender: int, stake: int
) -> None:
    """A Kuhn seat never moves after it has bet, so MARS's -(chips bet so far) - 10 is
    always -(1) - 10: the ante counts (MARS's ``self.bets`` starts at [1, 1])."""
    (record,) = play(tok, plain("mars_poker"), {"Kuhn": script}, [KUHN])
    assert record.invalid_by == offender and record.decisions == len(script)
    expected = [0.0, 0.0]
    expected[offender] = -stake - 10.0
    assert record.rewards == pytest.approx(expected) and record.returns == [0.0, 0.0]
    assert turn_rewards(record)[offender][-1] == pytest.approx(-stake - 10.0)


@pytest.mark.parametrize(
    ("script", "offender", "stake", "valid"),
    [
        ([], 0, 1, 0),  # the ante alone
        (["raise", "raise"], 0, 3, 1),  # seat 0 raised 2 on its ante; seat 1 re-raised
        (["call", "raise", "raise"], 1, 3, 1),  # seat 1 raised to 3; seat 0 re-raised to 5
        # round 1: raise to 3, call; round 2: raise 4 to 7, re-raise to 11; seat 0 has 7 in
        (["raise", "call", "raise", "raise"], 0, 7, 2),
    ],
)
def test_an_invalid_reply_in_leduc_costs_the_chips_put_in_plus_ten(
    tok: Any, script: list[str], offender: int, stake: int, valid: int
) -> None:
    (record,) = play(tok, plain("mars_poker"), {"Leduc": script}, [LEDUC])
    assert record.invalid_by == offender and record.decisions == len(script)
    expected = [0.0, 0.0]
    expected[offender] = -stake - 10.0
    assert record.rewards == pytest.approx(expected)
    # its valid moves earn +0.05 each; the invalid reply earns no bonus
    assert turn_rewards(record)[offender] == pytest.approx([0.05] * valid + [-stake - 10.0])


def split_pot_seed() -> int:
    """A collection seed whose Leduc deal gives both seats cards of one rank (the
    collector draws episode 0's chance outcomes from the first stream of
    ``SeedSequence((seed, 0))``), so that calling throughout splits the pot."""
    for seed in range(100):
        rng = np.random.default_rng(np.random.SeedSequence((seed, 0)).spawn(3)[0])
        state = LEDUC.new_initial_state()
        while state.current_player() == CHANCE:
            state.apply_action(sample_chance_outcome(state, rng))
        if state.private_card(0) // 2 == state.private_card(1) // 2:  # type: ignore[attr-defined]
            return seed
    raise AssertionError("no seed below 100 deals a pair of one rank")


def test_a_leduc_split_pot_pays_nothing_under_mars_poker_and_a_tenth_under_mars(
    tok: Any,
) -> None:
    seed = split_pot_seed()
    paid = {}
    for preset in ("mars_poker", "mars"):
        generator = ByGame(tok, {"Leduc": ["call"] * 4})
        collector = Collector(plain(preset), {0: generator}, Prompter(tok, "plain"))
        (record,) = collector.play([(LEDUC, [PolicySeat(0), PolicySeat(0)])], seed=seed)
        assert record.returns == [0.0, 0.0] and record.decisions == 4
        paid[preset] = record.rewards
        assert turn_rewards(record)[0][0] == pytest.approx(0.05)
    assert paid == {"mars_poker": [0.0, 0.0], "mars": pytest.approx([0.1, 0.1])}


def test_the_chips_hook_counts_the_ante_and_every_call_and_raise() -> None:
    state = LEDUC.new_initial_state()
    rng = np.random.default_rng(0)
    while state.current_player() == CHANCE:
        state.apply_action(sample_chance_outcome(state, rng))
    assert [state.chips_in(p) for p in (0, 1)] == [1, 1]  # type: ignore[attr-defined]
    state.apply_action(2)  # raise
    state.apply_action(1)  # call
    assert [state.chips_in(p) for p in (0, 1)] == [3, 3]  # type: ignore[attr-defined]
    kuhn = KUHN.new_initial_state()
    kuhn.apply_action(0)
    kuhn.apply_action(1)
    kuhn.apply_action(1)  # seat 0 bets
    assert [kuhn.chips_in(p) for p in (0, 1)] == [2, 1]  # type: ignore[attr-defined]
    with pytest.raises(RedqueenError, match="players are 0 and 1; got 2"):
        state.chips_in(2)  # type: ignore[attr-defined]


# ---- refused configurations ----------------------------------------------------------------


def test_a_protocol_per_game_must_share_the_prompt_style_temperature_and_length() -> None:
    with pytest.raises(
        InvalidParameterError, match=r"hanabi has temperature 0\.6, the others 1\.0"
    ):
        protocol("mars", games={"hanabi": protocol("mars_hanabi")})
    with pytest.raises(InvalidParameterError, match="prompt_style 'spiral', the others 'mars'"):
        protocol("mars", games={"kuhn_poker": protocol("spiral")})
    with pytest.raises(InvalidParameterError, match="max_new_tokens 8"):
        protocol("mars", games={"kuhn_poker": protocol("mars", max_new_tokens=8)})
    with pytest.raises(InvalidParameterError, match="choose one"):
        protocol("mars_poker", invalid_relative_to_return=True)


def test_the_stake_penalty_is_refused_on_a_game_that_counts_no_chips(tok: Any) -> None:
    rules = plain("mars", games={"tic_tac_toe": plain("mars_poker")})
    with pytest.raises(InvalidParameterError, match="tic_tac_toe counts no chips"):
        play(tok, rules, {"Tic-tac-toe": DRAW}, [TTT])


def test_a_config_mapping_gives_each_game_its_preset_with_the_common_fields() -> None:
    made = protocol_from_config(
        {
            "preset": "mars",
            "temperature": 0.6,
            "max_turns": 30,
            "games": {"kuhn_poker": {"preset": "mars_poker"}, "hanabi": {"preset": "mars_hanabi"}},
        }
    )
    assert made.for_game("tic_tac_toe") is made and made.for_game("connect_four") is made
    assert dataclasses.replace(made, games={}) == protocol("mars", temperature=0.6, max_turns=30)
    assert made.for_game("hanabi") == protocol("mars_hanabi", temperature=0.6, max_turns=30)
    assert made.for_game("kuhn_poker") == protocol("mars_poker", temperature=0.6, max_turns=30)
    # a game's own field wins over the common one
    own = protocol_from_config({"preset": "mars", "games": {"kuhn_poker": {"max_turns": 9}}})
    assert own.for_game("kuhn_poker").max_turns == 9 and own.max_turns == 50


RECIPE: dict[str, Any] = {
    "name": "per_game",
    "kind": "llm_self_play",
    "games": ["tic_tac_toe", "kuhn_poker"],
    "held_out": ["leduc_poker"],
    "model": {"path": None},
    "loop": {"steps": 1, "exploitability": False},
}


def recipe(protocol_config: dict[str, Any]) -> Any:
    return parse_recipe({**RECIPE, "protocol": protocol_config})


def test_a_recipe_names_a_protocol_per_game_held_out_games_included() -> None:
    made = recipe(
        {"preset": "mars", "games": {"kuhn_poker": {"preset": "mars_poker"}, "leduc_poker": {}}}
    )
    rules = made.configs()[0]
    assert rules.for_game("kuhn_poker").invalid_relative_to_stake
    assert rules.for_game("leduc_poker") == protocol("mars")
    assert recipe({"preset": "mars"}).configs()[0].games == {}  # the one-preset form stays


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"preset": "mars", "games": {"connect_four": {"preset": "mars"}}},
            "protocol.games names 'connect_four'; allowed: the recipe's games "
            "(trained or held out): tic_tac_toe, kuhn_poker, leduc_poker",
        ),
        (
            {"preset": "mars", "games": {"kuhn_poker": {"preset": "mars_pokr"}}},
            "protocol.games.kuhn_poker: protocol preset 'mars_pokr'; allowed: spiral, mars",
        ),
        (
            {"preset": "mars", "games": {"kuhn_poker": {"invalid_penalty": 1}}},
            "protocol.games.kuhn_poker: unknown protocol field",
        ),
        ({"preset": "mars", "games": {"kuhn_poker": "mars_poker"}}, "must be a mapping"),
        ({"preset": "mars", "games": ["kuhn_poker"]}, "protocol.games maps game ids"),
        (
            {"preset": "mars", "games": {"kuhn_poker": {"preset": "mars_hanabi"}}},
            r"kuhn_poker has temperature 0\.6, the others 1\.0",
        ),
        (
            {"preset": "mars", "games": {"tic_tac_toe": {"preset": "mars_poker"}}},
            "tic_tac_toe counts no chips",
        ),
    ],
)
def test_bad_protocol_mappings_are_refused_before_any_step(
    config: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecipeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        recipe(config)
