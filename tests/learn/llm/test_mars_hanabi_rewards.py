"""MARS's Hanabi rewards in the self-play collector, turn by turn, on scripted games.

Each Hanabi test plays one game of Mini-Hanabi whose moves are chosen by intent ("play a
card that scores", "play one that does not", "hint", "an invalid reply"); the expected
per-turn rewards are worked out by hand from MARS's rules (``roll/agentic/env/hanabi/
env.py`` and ``roll/agentic/rollout/env_manager.py``): +0.05 per valid move, a step's
points on the mover's current turn and on the partner's latest turn (none before the
partner's first turn), 0 at the last step paid as +0.1, an invalid reply -(own score)
- 10. To pick moves by the cards a seat holds, a mirror plays the same game beside the
collector: the same deal (the collector draws episode ``e``'s chance outcomes from the
first stream of ``SeedSequence((seed, e))``) and the same moves; every test checks that
the mirror and the collector end in the same place."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.games.core import CHANCE, Game, sample_chance_outcome
from redqueen.games.hidden.hanabi import HanabiState
from redqueen.learn.llm.advantages import mars
from redqueen.learn.llm.collector import (
    Collector,
    EpisodeRecord,
    PolicySeat,
    Prompter,
    prompt_vocabulary,
    protocol,
)
from redqueen.learn.llm.generators import Generation
from redqueen.learn.llm.tiny import word_tokenizer

pytest.importorskip("pyspiel", reason="Hanabi runs on OpenSpiel")

MINI = redqueen.make("hanabi", preset="mini")
RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "hanabi_mars_tiny.yaml"
SEEDS = range(200)


@pytest.fixture(scope="module")
def tok() -> object:
    return word_tokenizer([*prompt_vocabulary([MINI], "mars"), "nonsense"])


class Mirror:
    """The collector's game played alongside it, episode 0 of a collection seeded
    ``seed``: the same deal, then every move the script answers."""

    def __init__(self, game: Game, seed: int) -> None:
        stream = np.random.SeedSequence((seed, 0)).spawn(game.num_players + 1)[0]
        self.rng = np.random.default_rng(stream)
        self.state = game.new_initial_state()
        self.chance()

    def chance(self) -> None:
        while not self.state.is_terminal() and self.state.current_player() == CHANCE:
            self.state.apply_action(sample_chance_outcome(self.state, self.rng))

    def move(self, intent: str) -> str | None:
        """The move text that carries out ``intent`` for the seat to move (None when the
        cards do not allow it), applied to the mirror."""
        state = self.state
        assert isinstance(state, HanabiState)
        seat = state.current_player()
        names = {state.action_text(a, seat): a for a in state.legal_actions(seat)}
        if intent == "hint":
            chosen = [n for n in names if n.startswith("<Reveal")]
        elif intent in ("score", "miss"):
            view = state.view(1 - seat)  # the mover's cards, as the partner sees them
            chosen = [
                f"<Play card {i}>"
                for i, card in enumerate(view.other_cards)
                if view.playable(card) == (intent == "score")
            ]
        else:
            raise ValueError(f"intent {intent!r}")
        if not chosen:
            return None
        state.apply_action(names[chosen[0]])
        self.chance()
        return chosen[0]


def feasible(script: Sequence[str], ends: bool) -> int:
    """The first seed whose deal lets every intent of ``script`` be carried out, in
    order, with the game still running before each move and (``ends``) over after the
    last one."""
    for seed in SEEDS:
        mirror = Mirror(MINI, seed)
        ok = True
        for intent in script:
            if mirror.state.is_terminal():
                ok = False
                break
            if intent != "bad" and mirror.move(intent) is None:
                ok = False
                break
        if ok and mirror.state.is_terminal() == ends:
            return seed
    raise AssertionError(f"no seed in {SEEDS} lets {script} be played")


class ScriptedHanabi:
    """A generator whose k-th reply carries out ``script[k]``; ``bad`` is an invalid
    reply. Replies in MARS's format: ``<think> </think> <answer> MOVE </answer>``."""

    def __init__(self, tokenizer: object, script: Sequence[str], seed: int) -> None:
        self.tok = tokenizer
        self.script = list(script)
        self.mirror = Mirror(MINI, seed)
        self.replies = 0

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: Sequence[int] | int,
        stop_ids: Sequence[int] = (),
    ) -> list[Generation]:
        out = []
        for _ in prompts:
            intent = self.script[self.replies]
            self.replies += 1
            move = "nonsense" if intent == "bad" else self.mirror.move(intent)
            assert move is not None, f"the mirror cannot carry out {intent!r}"
            text = f"<think> </think> <answer> {move} </answer>"
            ids = [*self.tok.encode(text, add_special_tokens=False), self.tok.eos_token_id]  # type: ignore[attr-defined]
            out.append(Generation(ids, [-0.5] * len(ids), "stop"))
        return out


def play(tok: object, script: Sequence[str], *, ends: bool, **overrides: object) -> EpisodeRecord:
    seed = feasible(script, ends)
    gen = ScriptedHanabi(tok, script, seed)
    collector = Collector(protocol("mars_hanabi", **overrides), {0: gen}, Prompter(tok, "mars"))
    (record,) = collector.play([(MINI, [PolicySeat(0), PolicySeat(0)])], seed=seed)
    assert gen.replies == len(script)  # every reply was asked for, in this order
    moves = [step for step in gen.mirror.state.history() if step.player != CHANCE]
    assert record.decisions == len(moves) == len(script) - ("bad" in script)
    if record.invalid_by is None:
        assert record.returns == gen.mirror.state.returns()
    return record


def turn_rewards(record: EpisodeRecord) -> dict[int | str, list[float]]:
    return {t.role: list(t.rewards) for t in record.traces}


# ---- the traces ------------------------------------------------------------------------


SCORE_SCORE_HINT_HINT = ["score", "score", "hint", "hint"]
SCORE_SCORE_HINT_BAD = ["score", "score", "hint", "bad"]


def test_points_are_paid_on_the_turn_they_are_scored_and_a_zero_last_step_pays_a_tenth(
    tok: object,
) -> None:
    record = play(tok, SCORE_SCORE_HINT_HINT, ends=True)
    assert record.returns == [2.0, 2.0] and not record.truncated
    rewards = turn_rewards(record)
    # seat 0: its play +1, seat 1's play +1 (its latest turn), +0.05 | its hint 0, seat 1's
    # last hint 0 -> the last step's 0 paid as +0.1, +0.05
    assert rewards[0] == pytest.approx([1 + 1 + 0.05, 0.1 + 0.05])
    # seat 1: seat 0's first play came before seat 1's first turn: paid to no turn of it
    assert rewards[1] == pytest.approx([1 + 0 + 0.05, 0.1 + 0.05])
    assert record.rewards == pytest.approx([2.1, 2.1])  # the score and the end's +0.1
    assert record.valid_moves == [2, 2] and record.outcome(0) == "draw"


def test_an_invalid_reply_after_scoring_two_costs_twelve_and_pays_the_partner_nothing(
    tok: object,
) -> None:
    record = play(tok, SCORE_SCORE_HINT_BAD, ends=False)
    assert record.invalid_by == 1 and record.returns == [0.0, 0.0]
    rewards = turn_rewards(record)
    assert rewards[0] == pytest.approx([1 + 1 + 0.05, 0 + 0.05])  # the invalid step pays 0
    assert rewards[1] == pytest.approx([1 + 0 + 0.05, -2 - 10])  # no bonus, -(score) - 10
    assert record.rewards == pytest.approx([2.0, -10.0])
    assert record.outcome(1) == "invalid" and record.invalid_moves == [0, 1]
    # the offender's turns add up to -10 plus its one valid move's bonus, minus the point
    # scored before its first turn
    assert sum(rewards[1]) == pytest.approx(-10 + 0.05 - 1)


def test_losing_the_last_life_takes_back_every_point(tok: object) -> None:
    record = play(tok, ["score", "hint", "miss", "miss", "miss"], ends=True)
    assert record.returns == [0.0, 0.0]
    rewards = turn_rewards(record)
    # seat 0's third miss loses the last life and zeroes the score: that step pays -1 to
    # its turn and to seat 1's latest turn
    assert rewards[0] == pytest.approx([1 + 0 + 0.05, 0 + 0 + 0.05, -1 + 0.05])
    assert rewards[1] == pytest.approx([0 + 0 + 0.05, 0 - 1 + 0.05])
    assert record.rewards == pytest.approx([0.0, 0.0])  # the last step paid -1, not 0


def test_a_scoring_last_step_pays_no_end_bonus(tok: object) -> None:
    record = play(tok, ["hint", "hint", "score", "score", "hint", "score"], ends=True)
    last_turn_of_seat_1 = turn_rewards(record)[1][-1]
    assert last_turn_of_seat_1 == pytest.approx(1 + 0.05)  # the last step paid 1, kept


def test_truncation_at_fifty_decisions_keeps_what_was_paid_and_adds_nothing() -> None:
    assert protocol("mars_hanabi").max_turns == 50
    # MARS's Hanabi games end long before 50 moves (Full Hanabi's longest in 5,000
    # hint-heavy random games: 25), so a game that outlasts the cut and pays every round
    # stands in: 30 rounds of the prisoner's dilemma, two decisions a round
    game = redqueen.make("repeated", stage="prisoners_dilemma", rounds=30)
    words = word_tokenizer(prompt_vocabulary([game], "plain"))
    answer = [*words.encode("cooperate", add_special_tokens=False), words.eos_token_id]

    class Cooperate:
        def generate(self, prompts: Sequence[Sequence[int]], **_: object) -> list[Generation]:
            return [Generation(answer, [-0.5] * len(answer), "stop") for _ in prompts]

    records = Collector(
        protocol("mars_hanabi", prompt_style="plain"), {0: Cooperate()}, Prompter(words, "plain")
    ).play([(game, [PolicySeat(0), PolicySeat(0)])], seed=0)
    (record,) = records
    assert record.truncated and record.decisions == 50 and record.returns == [0.0, 0.0]
    # 25 rounds of (3, 3), each paid on that round's turn with the +0.05; no end bonus
    for role, trace in turn_rewards(record).items():
        assert trace == pytest.approx([3.05] * 25), role
    assert record.rewards == pytest.approx([75.0, 75.0])
    # without step rewards a cut game pays nothing (SPIRAL's rule)
    (plain,) = Collector(
        protocol("mars_hanabi", prompt_style="plain", step_rewards=False),
        {0: Cooperate()},
        Prompter(words, "plain"),
    ).play([(game, [PolicySeat(0), PolicySeat(0)])], seed=0)
    assert plain.rewards == [0.0, 0.0] and turn_rewards(plain)[0] == pytest.approx([0.05] * 25)


# ---- the general rules behind the preset ---------------------------------------------------


def test_step_rewards_and_the_zero_rule_pay_a_terminal_payoff_game_as_marss_draw_rule() -> None:
    """In a game that pays only at the end, MARS's ``0.1 if reward == 0`` on the last step
    is a +0.1 for a draw: the ``mars`` preset's draw rule, trace for trace."""
    game = redqueen.make("tic_tac_toe")
    words = word_tokenizer(prompt_vocabulary([game], "plain"))

    class BySeed:
        """A legal move chosen by the reply's sampling seed (the collector derives it from
        the episode, the seat and the reply number): varied games, the same in both runs."""

        def generate(
            self, prompts: Sequence[Sequence[int]], *, seed: int | Sequence[int], **_: object
        ) -> list[Generation]:
            assert not isinstance(seed, int)  # the collector gives one seed per reply
            out = []
            for prompt, s in zip(prompts, seed, strict=True):
                text = words.decode(list(prompt), skip_special_tokens=True)
                moves = text.split("Legal moves:")[1].split("Move:")[0].split()
                ids = [*words.encode(moves[s % len(moves)], add_special_tokens=False)]
                ids.append(words.eos_token_id)
                out.append(Generation(ids, [-0.5] * len(ids), "stop"))
            return out

    def collect(**fields: object) -> list[EpisodeRecord]:
        chosen = protocol("mars", prompt_style="plain", **fields)
        collector = Collector(chosen, {0: BySeed()}, Prompter(words, "plain"))
        return collector.play([(game, [PolicySeat(0), PolicySeat(0)])] * 40, seed=1)

    draw_rule = collect()
    zero_rule = collect(draw_reward=0.0, terminal_zero_reward=0.1, step_rewards=True)
    outcomes = {r.outcome(0) for r in draw_rule}
    assert outcomes == {"win", "draw", "loss"}  # the comparison covers every ending
    for a, b in zip(draw_rule, zero_rule, strict=True):
        assert turn_rewards(b) == {k: pytest.approx(v) for k, v in turn_rewards(a).items()}
        assert a.rewards == pytest.approx(b.rewards)


def test_an_invalid_reply_relative_to_the_return_without_step_rewards(tok: object) -> None:
    record = play(tok, SCORE_SCORE_HINT_BAD, ends=False, step_rewards=False)
    # every reward at the end: seat 1 is charged -(2) - 10 on its last turn, seat 0 gets 0
    assert record.rewards == pytest.approx([0.0, -12.0])
    assert turn_rewards(record) == {0: pytest.approx([0.05, 0.05]), 1: pytest.approx([0.05, -12])}


# ---- MARS's advantage on these traces ----------------------------------------------------


def test_marss_turn_level_advantage_on_the_hanabi_traces(tok: object) -> None:
    """MARS (``reward_normalize_by_player``, ``compute_reinforce_return``, gamma 1): turn
    rewards centred per (game, player) over the batch, then the reward-to-go of each turn;
    the reward-to-go centred per (game, player) over all its turns (MARS's code takes the
    mean of the distinct values instead, see redqueen.learn.llm.advantages)."""
    ended = play(tok, SCORE_SCORE_HINT_HINT, ends=True)
    invalid = play(tok, SCORE_SCORE_HINT_BAD, ends=False)
    traces = [*ended.traces, *invalid.traces]
    assert [(t.role, t.rewards) for t in traces] == [
        (0, pytest.approx((2.05, 0.15))),
        (1, pytest.approx((1.05, 0.15))),
        (0, pytest.approx((2.05, 0.05))),
        (1, pytest.approx((1.05, -12.0))),
    ]
    # seat 0: mean turn reward (2.05 + 0.15 + 2.05 + 0.05) / 4 = 1.075
    #   centred (0.975, -0.925) and (0.975, -1.025); reward-to-go (0.05, -0.925) and
    #   (-0.05, -1.025); their mean -0.4875
    # seat 1: mean (1.05 + 0.15 + 1.05 - 12) / 4 = -2.4375
    #   centred (3.4875, 2.5875) and (3.4875, -9.5625); reward-to-go (6.075, 2.5875) and
    #   (-6.075, -9.5625); their mean -1.74375
    expected = [
        [0.05 + 0.4875, -0.925 + 0.4875],
        [6.075 + 1.74375, 2.5875 + 1.74375],
        [-0.05 + 0.4875, -1.025 + 0.4875],
        [-6.075 + 1.74375, -9.5625 + 1.74375],
    ]
    got = mars(traces, norm="mean")
    for a, e in zip(got, expected, strict=True):
        assert a == pytest.approx(e)
    # mean_std: the same divided by each seat's population std over its four turns
    scaled = mars(traces, norm="mean_std")
    for role in (0, 1):
        flat = np.concatenate([got[i] for i in (role, role + 2)])
        for i in (role, role + 2):
            assert scaled[i] == pytest.approx(got[i] / (flat.std() + 1e-8))
    # the reward-to-go carries the invalid reply's -12 back to the turn before it: the
    # same scoring first turn is worth less in the game that ended invalid
    assert got[3][0] < 0 < got[1][0]


# ---- the recipe --------------------------------------------------------------------------


def test_the_tiny_mars_hanabi_recipe_runs_end_to_end(tmp_path: Path) -> None:
    from redqueen.experiments import load_recipe
    from redqueen.experiments.llm_self_play import LLMSelfPlayOutcome, LLMSelfPlayRecipe
    from redqueen.store.run_store import RunStore

    small = ["loop.steps=2", "loop.games_per_step=4", "loop.eval_every=2", "loop.eval_games=2"]
    recipe = load_recipe(RECIPE, [*small, "torch_threads=1"])
    assert isinstance(recipe, LLMSelfPlayRecipe)
    assert [(g.id, g.params) for g in recipe.games] == [("hanabi", {"preset": "mini"})]
    assert recipe.model.path is None and recipe.loop["estimator"] == "mars"
    made = recipe.configs()[0]
    assert made == protocol("mars_hanabi", temperature=1.0, max_new_tokens=8)
    outcome = recipe.run(tmp_path / "run")
    assert isinstance(outcome, LLMSelfPlayOutcome) and len(outcome.result.steps) == 2
    with RunStore(tmp_path / "run") as store:
        invalid = store.metrics("eval/random/invalid_rate")
        reward = store.metrics("eval/random/mean_reward")
        legal = store.metrics("train/legal_rate")
    assert [s for s, _ in legal] == [1, 2] and [s for s, _ in reward] == [2]
    # the random model's first reply ends each game: MARS's -(score 0) - 10, not mars's -11
    assert invalid[-1][1] == 1.0 and reward[-1][1] == pytest.approx(-10.0)
    assert (tmp_path / "run" / "report.html").is_file()
