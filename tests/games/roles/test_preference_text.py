"""preference_text (SPPO's preference game with written responses): briefs and the menu of
written responses, the rule judges' probabilities against values computed by hand, both
orders averaged, judge failures, the text variant's rules, the scripted writer, LLM players
and the LLM judge against the scripted test server, and the shipped recipe end to end."""

from __future__ import annotations

import asyncio
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

import redqueen
from redqueen.agents import make_agent
from redqueen.agents.llm import LLMAgent, recording
from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.experiments import load_recipe, parse_recipe
from redqueen.games import check_game
from redqueen.games.roles.judges import FixedJudge, JudgeRequest, make_judge
from redqueen.games.roles.preference import preference_game
from redqueen.games.roles.preference_text import (
    DEFAULT_MAX_WORDS,
    FILLER,
    LONG,
    MEDIUM,
    SHORT,
    STYLES,
    TOPICS,
    Brief,
    PreferenceTextGame,
    PreferenceTextState,
    RubricPreferenceJudge,
    length_class,
    preference_cycle_judge,
    preference_request,
    read_brief,
    written_response,
)
from redqueen.learn.sppo import preference_nash_conv, von_neumann_winner
from redqueen.play import aplay_match, play_match
from redqueen.play.match import replay
from redqueen.store.llm_cache import LLMStore

ROOT = Path(__file__).resolve().parents[3]
BREAD = "Explain how bread rises. Use these words: yeast, dough, gas. At most 30 words."
SCRIPTED_REPLY = "Scripted test server: no legal moves were listed in the last message."


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def text_game(**params: Any) -> PreferenceTextGame:
    game = redqueen.make("preference_text", prompts=1, text_moves=True, **params)
    assert isinstance(game, PreferenceTextGame)
    return game


def play_texts(game: PreferenceTextGame, y0: str, y1: str) -> PreferenceTextState:
    state = game.new_initial_state()
    assert isinstance(state, PreferenceTextState)
    state.apply_text_action(y0)
    state.apply_text_action(y1)
    return state


def words(n: int, *extra: str) -> str:
    """``extra`` and then "word" repeated: ``n`` words in all."""
    return " ".join([*extra, *["word"] * (n - len(extra))])


# ---- briefs, lengths and the menu -------------------------------------------------------


def test_briefs_are_read_from_the_prompt_text() -> None:
    game = redqueen.make("preference_text", prompts=8)
    assert isinstance(game, PreferenceTextGame) and game.prompts[0] == BREAD
    assert read_brief(BREAD) == Brief(("yeast", "dough", "gas"), 30)
    assert read_brief("Say hi. use these words: Hello, World. at most 7 words.") == Brief(
        ("hello", "world"), 7
    )
    assert read_brief("Say hi.") == Brief((), DEFAULT_MAX_WORDS)
    assert read_brief("Say hi. At most 0 words.").limit == DEFAULT_MAX_WORDS
    built = redqueen.make("preference_text", prompts=2, required_words=2, max_words=12)
    assert built.prompts[1] == (  # type: ignore[attr-defined]
        "Describe how a bicycle stays upright. Use these words: wheels, balance. At most 12 words."
    )


def test_length_classes_split_the_limit_in_thirds() -> None:
    assert [length_class(words(n), 30) for n in (0, 10, 11, 20, 21, 30, 31)] == [
        SHORT, SHORT, MEDIUM, MEDIUM, LONG, LONG, LONG,
    ]  # fmt: skip
    assert [length_class(words(n), 7) for n in (2, 3, 4, 5)] == [SHORT, MEDIUM, MEDIUM, LONG]


def test_the_menu_of_written_responses() -> None:
    menu = [written_response(BREAD, s) for s in range(len(STYLES))]
    assert [len(t.split()) for t in menu] == [10, 10, 20, 20, 30, 30]
    assert menu[0] == "yeast dough gas here is a plain reply that keeps"
    assert menu[1] == "here is a plain reply that keeps to the point"
    for style, text in enumerate(menu):
        used = set(text.split()) & {"yeast", "dough", "gas"}
        assert used == (set() if style % 2 else {"yeast", "dough", "gas"})
        assert length_class(text, 30) == style // 2
    all_topic_words = {w for _, ws in TOPICS for w in ws}
    assert not all_topic_words & set(FILLER)
    # a brief that asks for filler words: the responses without the words still use none
    odd = "Talk. Use these words: here, is, point. At most 9 words."
    assert written_response(odd, 1) == "a plain reply"
    assert written_response(odd, 0) == "here is point"
    with pytest.raises(InvalidParameterError, match=r"styles are 0\.\.5"):
        written_response(BREAD, 6)


# ---- the rule judges, by hand --------------------------------------------------------------

# Responses to BREAD (brief: yeast, dough, gas; at most 30 words): (text, score s, class)
A = "Yeast makes gas, and the gas lifts the dough."  # 9 words, 3 brief words: s 3, short
B = "The dough rises."  # s 1 (dough), short
C = words(12, "yeast")  # s 1, medium
D = words(31, "yeast", "dough", "gas")  # 3 words but over the limit: s 3 - 1 = 2, long
E = ""  # s 0, short


def test_rubric_scores_and_the_transitive_judge() -> None:
    rubric = make_judge("preference_rubric")
    assert isinstance(rubric, RubricPreferenceJudge) and rubric.name == "preference_rubric"
    assert [rubric.score(BREAD, y) for y in (A, B, C, D, E)] == [3, 1, 1, 2, 0]
    table = {
        (A, B): sig(3 - 1),
        (B, A): sig(1 - 3),
        (A, D): sig(3 - 2),
        (C, B): 0.5,
        (E, D): sig(0 - 2),
    }
    for (a, b), p in table.items():
        assert rubric.probability(BREAD, a, b) == pytest.approx(p, abs=1e-15)
    heavy = make_judge({"kind": "preference_rubric", "keyword_weight": 2, "length_penalty": 3})
    assert isinstance(heavy, RubricPreferenceJudge)
    assert heavy.score(BREAD, D) == 2 * 3 - 3 and heavy.score(BREAD, B) == 2


def test_the_cycle_judge_is_intransitive_by_hand() -> None:
    cycle = make_judge("preference_cycle")
    assert isinstance(cycle, RubricPreferenceJudge)
    # short beats medium, medium beats long, long beats short, each worth 2
    assert cycle.probability(BREAD, A, C) == pytest.approx(sig(3 - 1 + 2), abs=1e-15)
    assert cycle.probability(BREAD, C, D) == pytest.approx(sig(1 - 2 + 2), abs=1e-15)
    assert cycle.probability(BREAD, D, A) == pytest.approx(sig(2 - 3 + 2), abs=1e-15)
    assert cycle.probability(BREAD, A, B) == pytest.approx(sig(3 - 1), abs=1e-15)  # both short
    # A beats C beats D beats A: every step more likely than not
    assert min(cycle(BREAD, A, C), cycle(BREAD, C, D), cycle(BREAD, D, A)) > 0.5
    strong = make_judge({"kind": "preference_cycle", "cycle_strength": 5})
    assert isinstance(strong, RubricPreferenceJudge)
    assert strong.probability(BREAD, D, A) == pytest.approx(sig(2 - 3 + 5), abs=1e-15)


def test_the_judges_verdicts_and_what_they_refuse() -> None:
    judge = make_judge("preference_cycle")
    verdict = judge.judge(preference_request(BREAD, A, C))
    assert verdict.valid and verdict.judge == "preference_cycle" and not verdict.labels
    assert verdict.score == pytest.approx(sig(4), abs=1e-15)
    wrong = judge.judge(JudgeRequest("r", (("text", "x"),), (), score=(0.0, 1.0)))
    assert not wrong.valid and "prompt, response_a and response_b" in wrong.problem
    from redqueen.games.roles.red_team import judge_request

    assert not judge.judge(judge_request("p", "r")).valid  # questions it cannot answer
    with pytest.raises(UnknownNameError, match=r"allowed: .*preference_cycle.*preference_rubric"):
        make_judge("preference_oracle")
    with pytest.raises(InvalidParameterError, match="cycle_strength must be a number"):
        make_judge({"kind": "preference_cycle", "cycle_strength": -1})


# ---- the game: both orders, payoffs, failures ------------------------------------------------


def test_payoffs_average_both_orders_and_record_the_verdicts() -> None:
    state = play_texts(text_game(), A, C)
    outcome = state.outcome()
    assert outcome is not None and outcome.judge == "preference_cycle" and not outcome.judge_failed
    assert outcome.responses == (A, C)
    assert outcome.raw == pytest.approx((sig(4), sig(-4)), abs=1e-15)
    assert state.returns() == pytest.approx([sig(4), 1 - sig(4)], abs=1e-15)
    assert sum(state.returns()) == pytest.approx(1.0, abs=1e-15)
    # a judge biased towards the response shown first: the two orders no longer agree
    biased = text_game(judge={"kind": "preference_rubric", "position_bias": 1.0})
    state = play_texts(biased, A, B)
    outcome = state.outcome()
    assert outcome is not None
    assert outcome.raw == pytest.approx((sig(2 + 1), sig(-2 + 1)), abs=1e-15)
    p = (sig(3) + 1 - sig(-1)) / 2
    assert state.returns() == pytest.approx([p, 1 - p], abs=1e-15)
    swapped = play_texts(biased, B, A)
    assert swapped.returns() == pytest.approx([1 - p, p], abs=1e-15)  # symmetric
    assert play_texts(biased, A, A).returns() == [0.5, 0.5]


def test_the_menu_game_under_the_cycle_judge_has_a_mixed_equilibrium() -> None:
    game = redqueen.make("preference_text", prompts=1)
    matrix = np.zeros((6, 6))
    for i, j in itertools.product(range(6), repeat=2):
        state = game.new_initial_state()
        state.apply_action(i)
        state.apply_action(j)
        matrix[i, j] = state.returns()[0]
    np.testing.assert_allclose(matrix + matrix.T, 1.0, atol=1e-15)
    with_words = [0, 2, 4]  # short, medium and long responses that use the brief's words
    for i, j in itertools.permutations(with_words, 2):  # rock-paper-scissors among them
        assert matrix[i, j] == pytest.approx(sig(2) if (j - i) % 6 == 2 else sig(-2), abs=1e-15)
    assert matrix[0, 5] == pytest.approx(sig(3 - 2), abs=1e-15)  # short words vs long none
    winner = von_neumann_winner(matrix)
    np.testing.assert_allclose(winner, [1 / 3, 0, 1 / 3, 0, 1 / 3, 0], atol=1e-6)
    pure = np.eye(6)[0]
    assert preference_nash_conv(matrix, pure) == pytest.approx(2 * (sig(2) - 0.5), abs=1e-12)
    assert preference_nash_conv(matrix, winner) == pytest.approx(0.0, abs=1e-6)
    # the same preferences as preference_game computes them once from the judge
    fixed = preference_game(
        judge=preference_cycle_judge(),
        prompts=[BREAD],
        responses=list(game.menu[0]),  # type: ignore[attr-defined]
    )
    np.testing.assert_allclose(fixed.preference(0), matrix, atol=1e-12)
    # under the transitive rubric, a pure style that uses the words is unexploitable
    rubric = redqueen.make("preference_text", prompts=1, judge="preference_rubric")
    state = rubric.new_initial_state()
    state.apply_action(0)
    state.apply_action(4)
    assert state.returns() == [0.5, 0.5]


def test_an_unreadable_verdict_is_the_judges_failure_not_a_players() -> None:
    for judge in (
        FixedJudge(valid=False),  # an unreadable reply
        FixedJudge(),  # a readable verdict without a probability
        lambda prompt, a, b: 1.5,  # a callable that gives no probability
    ):
        state = play_texts(text_game(judge=judge), A, C)
        outcome = state.outcome()
        assert outcome is not None and outcome.judge_failed
        assert state.returns() == [0.5, 0.5] and state.invalid_moves() == (0, 0)
        assert "could not be read" in state.observation_text(0)


def test_any_callable_can_judge() -> None:
    def longer(prompt: str, a: str, b: str) -> float:
        return 0.9 if len(a) > len(b) else 0.3

    state = play_texts(text_game(judge=longer), A, B)
    outcome = state.outcome()
    assert outcome is not None and outcome.judge == "callable:longer"
    assert outcome.raw == (0.9, 0.3)
    assert state.returns() == pytest.approx([(0.9 + 1 - 0.3) / 2, 1 - 0.8], abs=1e-15)
    assert text_game(judge=longer).params["judge"] == "callable:longer"

    def broken(prompt: str, a: str, b: str) -> float:
        raise RuntimeError("no judge today")

    state = text_game(judge=broken).new_initial_state()
    state.apply_text_action(A)
    with pytest.raises(RuntimeError, match="no judge today"):
        state.apply_text_action(B)
    assert state.current_player() == 1 and len(state.history()) == 1 and state.outcome() is None


def test_the_text_variant_cuts_counts_and_replays() -> None:
    game = text_game(max_text_chars=12)
    state = play_texts(game, "yeast dough gas and more", "   ")
    assert state.response(0) == "yeast dough " and state.response(1) == "   "
    assert state.invalid_moves() == (1, 1)  # one cut, one empty
    outcome = state.outcome()
    assert outcome is not None and outcome.raw[0] == pytest.approx(sig(2), abs=1e-15)
    again = replay(game, state.history())
    assert again.returns() == state.returns() and again.invalid_moves() == (1, 1)
    with pytest.raises(RedqueenError, match="game is over"):
        state.apply_text_action("more")
    fresh = game.new_initial_state()
    with pytest.raises(RedqueenError, match="apply_text_action"):
        fresh.apply_action(0)
    with pytest.raises(RedqueenError, match="not player 1's turn"):
        fresh.apply_text_action("x", player=1)
    assert fresh.legal_actions() == [] and game.spec.text_actions
    with pytest.raises(RedqueenError, match="no tensor view"):
        game.information_state_tensor_shape()
    several = redqueen.make("preference_text", prompts=3, text_moves=True)
    with pytest.raises(RedqueenError, match="chance outcome first"):
        several.new_initial_state().apply_text_action("x")


def test_player_one_does_not_see_player_zeros_response() -> None:
    game = text_game()
    state = game.new_initial_state()
    before = (state.information_state_key(1), state.observation_text(1))
    state.apply_text_action("a secret answer")
    assert (state.information_state_key(1), state.observation_text(1)) == before
    assert "a secret answer" in state.observation_text(0)
    state.apply_text_action("mine")
    assert "a secret answer" in state.observation_text(1)  # told at the end
    assert not game.moves_are_public


def test_check_game_on_both_kinds_of_prompts() -> None:
    check_game(redqueen.make("preference_text", prompts=8), n_games=200)
    own = redqueen.make("preference_text", prompts=["Say something kind.", BREAD])
    report = check_game(own, n_games=200)
    assert report.information_states == 4  # each seat's move, per prompt


def test_bad_parameters_name_what_is_allowed() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"prompts": 0}, r"prompts must be an integer in \[1, 8\]"),
        ({"prompts": []}, "a list of 1 to 1000 non-empty texts"),
        ({"prompts": ["ok", " "]}, "non-empty texts"),
        ({"prompts": "Say hi."}, "a list of texts"),
        ({"prompts": ["Say hi."], "max_words": 40}, "built-in prompts only"),
        ({"required_words": 5}, r"required_words must be an integer in \[1, 4\]"),
        ({"max_words": 8}, r"max_words must be an integer in \[9, 10000\]"),
        ({"text_moves": "yes"}, "text_moves must be true or false"),
        ({"max_text_chars": 0}, "max_text_chars must be an integer"),
        ({"judge": 3}, "judge must be a judge kind"),
    ]
    for params, message in cases:
        with pytest.raises(InvalidParameterError, match=message):
            redqueen.make("preference_text", **params)
    with pytest.raises(UnknownNameError, match=r"allowed: .*preference_cycle"):
        redqueen.make("preference_text", judge="nobody")


# ---- the scripted writer ----------------------------------------------------------------------


def test_writers_play_the_menu_and_the_text_variant_alike() -> None:
    menu = redqueen.make("preference_text")
    texts = redqueen.make("preference_text", text_moves=True)
    short = make_agent("preference_writer", style="short with the words")
    long_none = make_agent("preference_writer", style=5)
    assert long_none.spec().params == {"style": "long without the words"}
    for seed in range(6):
        a = play_match(menu, [short, long_none], seed=seed)
        b = play_match(texts, [short, long_none], seed=seed)
        assert a.returns == b.returns == pytest.approx((sig(1), 1 - sig(1)), abs=1e-15)
        assert b.invalid_moves == (0, 0)
    with pytest.raises(InvalidParameterError, match="allowed: short with the words"):
        make_agent("preference_writer", style="terse")
    with pytest.raises(RedqueenError, match="plays preference_text only"):
        play_match(redqueen.make("tic_tac_toe"), [short, long_none])


# ---- LLM players and the LLM judge, over HTTP ---------------------------------------------------


def llm_judge(server: ScriptedServer) -> dict[str, Any]:
    return {
        "kind": "llm",
        "model": "scripted",
        "base_url": server.url,
        "api_key_env": None,
        "backoff": 0.0,
        "cache": False,
    }


def test_llm_players_and_the_llm_judge_end_to_end(tmp_path: Path) -> None:
    # The scripted server writes SCRIPTED_REPLY (11 words, no brief word: s 0, medium) as
    # an LLM player's response, and answers judge requests by the rule judge
    # preference_cycle, so every payoff is known by hand.
    with ScriptedServer("first", judge="preference_cycle") as server:
        by_llm = redqueen.make("preference_text", text_moves=True, judge=llm_judge(server))
        by_rule = redqueen.make("preference_text", text_moves=True)
        llm = LLMAgent(model="scripted", base_url=server.url, api_key_env=None, cache=False)
        writer = make_agent("preference_writer", style="short with the words")  # s 3, short
        sink = LLMStore(tmp_path / "calls.sqlite")  # SQLite: used from this thread only

        async def matches() -> list[Any]:
            with recording("match-1", sink, ["llm", "writer"]):
                return [
                    await aplay_match(by_llm, [llm, writer], seed=1),
                    await aplay_match(by_rule, [llm, writer], seed=1),
                    await aplay_match(by_llm, [llm, llm], seed=2),
                ]

        judged, ruled, both = asyncio.run(matches())
        p = sig(0 - 3 + 2 * -1)  # medium loses to short in the cycle
        assert judged.returns == pytest.approx((p, 1 - p), abs=1e-15)
        assert judged.returns == ruled.returns and judged.invalid_moves == (0, 0)
        outcome = replay(by_llm, judged.trajectory).outcome()  # type: ignore[attr-defined]
        assert outcome.judge == "llm:scripted" and outcome.responses[0] == SCRIPTED_REPLY
        first, second = outcome.verdicts
        assert first.reply.startswith("score: ") and second.reply.startswith("score: ")
        assert outcome.raw == (float(first.reply[7:]), float(second.reply[7:]))  # exact
        assert outcome.raw == pytest.approx((p, sig(5)), abs=1e-15)
        assert both.returns == (0.5, 0.5)  # the same text twice
    calls = sink.calls("match-1")
    sink.close()
    judge_calls = [c for c in calls if c.agent.startswith("llm_judge:")]
    assert len(judge_calls) == 4 and all(c.seat is None for c in judge_calls)  # 2 per match
    assert sorted(c.seat for c in calls if c.seat is not None) == [0, 0, 0, 1]  # players


def test_an_unreadable_llm_verdict_pays_half_each() -> None:
    with ScriptedServer("first", judge="preference_cycle", malformed_rate=1.0) as server:
        state = play_texts(text_game(judge=llm_judge(server)), A, C)
    outcome = state.outcome()
    assert outcome is not None and outcome.judge_failed and outcome.judge == "llm:scripted"
    assert outcome.verdicts[0].problem.startswith("no score from 0 to 1")
    assert state.returns() == [0.5, 0.5] and state.invalid_moves() == (0, 0)


# ---- the shipped recipe ------------------------------------------------------------------------


def test_the_recipe_against_the_scripted_server_with_rule_and_llm_judges(tmp_path: Path) -> None:
    """The shipped recipe (role_games) with the scripted server writing, then judging as
    well: the model's mean P against each writer, by hand."""
    recipe = load_recipe(ROOT / "recipes" / "preference_text_llm.yaml")
    assert recipe.name == "preference_text_llm" and recipe.kind == "role_games"
    data = yaml.safe_load((ROOT / "recipes" / "preference_text_llm.yaml").read_text())
    data["matches"] = 2
    rows = {}
    with ScriptedServer("first", judge="preference_cycle") as server:
        data["llm"].update(base_url=server.url, api_key_env=None)
        for name in ("rule", "llm"):
            if name == "llm":
                data["games"][0]["llm_judge"] = True
                del data["games"][0]["params"]["judge"]
            outcome = parse_recipe(data).run(tmp_path / name)
            rows[name] = {
                r["lineup"].split("=")[1]: (
                    r["metrics"]["preference"][0]["mean"],
                    r["metrics"]["judges"],
                    r["metrics"]["seat0_wins"]["count"],
                    r["metrics"]["seat0_draws"]["count"],
                    r["metrics"]["seat0_losses"]["count"],
                )
                for r in outcome.to_dict()["groups"]
            }

    # the scripted reply is medium and uses none of the brief's words (score 0); a writer
    # with the words scores 3; the cycle is worth 2: P = sigmoid(0 - s + 2 C)
    def sig(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    by_hand = {
        "short with the words": sig(-3 - 2),
        "medium with the words": sig(-3),
        "long with the words": sig(-3 + 2),
        "short without the words": sig(-2),
        "medium without the words": 0.5,
        "long without the words": sig(2),
    }
    for name, judge in (("rule", "preference_cycle"), ("llm", f"llm:{data['llm']['model']}")):
        assert set(rows[name]) == set(by_hand), name
        for writer, p in by_hand.items():
            mean, judges, wins, draws, losses = rows[name][writer]
            assert mean == pytest.approx(p, abs=1e-12), (name, writer)
            assert judges == [judge]
            counts = (2, 0, 0) if p > 0.5 else (0, 2, 0) if p == 0.5 else (0, 0, 2)
            assert (wins, draws, losses) == counts
