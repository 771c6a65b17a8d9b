"""The self-play collector keeps the protocol exactly: invalid replies, truncation, the
error allowance, draws and shaping, frozen seats, three players, and the exact token ids
of each trained decision. A scripted generator answers, so no model is needed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

import redqueen
from redqueen.agents import RandomAgent
from redqueen.errors import InvalidParameterError
from redqueen.learn.llm.collector import (
    Collector,
    PolicySeat,
    Prompter,
    prompt_vocabulary,
    protocol,
)
from redqueen.learn.llm.generators import Generation
from redqueen.learn.llm.tiny import word_tokenizer

KUHN = redqueen.make("kuhn_poker")


class Scripted:
    """Answers each prompt with ``answer(prompt_text)`` (words), then end-of-sequence."""

    def __init__(self, tokenizer: object, answer: Callable[[str], str]) -> None:
        self.tok = tokenizer
        self.answer = answer
        self.calls: list[int] = []

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int,
        stop_ids: Sequence[int] = (),
    ) -> list[Generation]:
        self.calls.append(len(prompts))
        out = []
        for prompt in prompts:
            text = self.tok.decode(list(prompt), skip_special_tokens=True)  # type: ignore[attr-defined]
            ids = self.tok.encode(self.answer(text), add_special_tokens=False)  # type: ignore[attr-defined]
            ids = [*ids, self.tok.eos_token_id][:max_new_tokens]  # type: ignore[attr-defined]
            out.append(Generation(ids, [-0.5] * len(ids), "stop"))
        return out


@pytest.fixture(scope="module")
def tok() -> object:
    games = [KUHN, redqueen.make("kuhn_poker", players=3), redqueen.make("prisoners_dilemma")]
    return word_tokenizer([*prompt_vocabulary(games, "plain"), "nonsense"])


def first_legal(text: str) -> str:
    return text.split("Legal moves:")[1].split()[0]


def collect(
    tok: object,
    answer: Callable[[str], str],
    players: list,  # type: ignore[type-arg]
    n: int = 8,
    game: redqueen.Game = KUHN,
    **proto: object,
) -> tuple[list, Scripted]:  # type: ignore[type-arg]
    gen = Scripted(tok, answer)
    collector = Collector(protocol("plain", **proto), {0: gen}, Prompter(tok, "plain"))
    return collector.play([(game, players) for _ in range(n)], seed=3), gen


def test_invalid_reply_ends_the_game_with_spirals_rewards(tok: object) -> None:
    records, _ = collect(tok, lambda t: "nonsense", [PolicySeat(0), PolicySeat(0)])
    for r in records:
        assert r.invalid_by == 0 and r.rewards == [-1.5, 0.5] and r.returns == [0.0, 0.0]
        assert r.outcome(0) == "invalid" and r.outcome(1) == "win"
        assert [t.rewards for t in r.traces] == [(-1.5,)]  # seat 1 never moved
        assert len(r.samples) == 1 and not r.samples[0].valid


def test_legal_play_keeps_token_ids_and_game_returns(tok: object) -> None:
    records, gen = collect(tok, first_legal, [PolicySeat(0), PolicySeat(0)], n=16)
    assert gen.calls[0] == 16  # every game's first decision in one batch
    for r in records:
        assert r.invalid_by is None and not r.truncated
        assert r.rewards == r.returns and sum(r.returns) == 0
        for trace in r.traces:
            turns = [s for s in r.samples if s.seat == trace.role]
            assert len(turns) == len(trace.rewards) and trace.rewards[-1] == r.rewards[trace.role]
            assert all(s.valid and s.completion_ids[-1] == tok.eos_token_id for s in turns)  # type: ignore[attr-defined]
            assert [s.turn for s in turns] == list(range(len(turns)))


def test_frozen_seats_and_agents_make_no_samples(tok: object) -> None:
    records, _ = collect(tok, first_legal, [PolicySeat(0), PolicySeat(0, trained=False)])
    assert all({s.seat for s in r.samples} == {0} for r in records)
    records, _ = collect(tok, first_legal, [RandomAgent(), PolicySeat(0)])
    assert all(r.traces and r.traces[0].role == 1 for r in records)


def test_truncation_is_a_draw_with_zero_rewards(tok: object) -> None:
    records, _ = collect(tok, first_legal, [PolicySeat(0), PolicySeat(0)], max_turns=1)
    for r in records:
        assert r.truncated and r.rewards == [0.0, 0.0] and r.decisions == 1
        assert r.outcome(0) == "draw"


def test_error_allowance_asks_again_and_shaping_pays_per_turn(tok: object) -> None:
    calls: list[str] = []

    def first_reply_wrong(text: str) -> str:
        calls.append(text)
        return "nonsense" if len(calls) == 1 else first_legal(text)

    records, _ = collect(
        tok, first_reply_wrong, [PolicySeat(0), RandomAgent()], n=1, error_allowance=1,
        valid_move_bonus=0.05,
    )  # fmt: skip
    r = records[0]
    assert r.invalid_by is None and r.invalid_moves[0] == 1 and calls[0] == calls[1]
    rewards = r.traces[0].rewards
    assert rewards[0] == 0.0  # the tolerated invalid reply, asked again
    assert rewards[1:-1] == (0.05,) * (len(rewards) - 2)
    assert rewards[-1] == pytest.approx(0.05 + r.rewards[0])
    assert [s.valid for s in r.samples] == [False] + [True] * (len(rewards) - 1)

    records, _ = collect(
        tok, lambda t: "nonsense", [PolicySeat(0), RandomAgent()], n=1, error_allowance=1
    )
    assert records[0].invalid_by == 0 and records[0].invalid_moves[0] == 2


def test_a_draw_pays_the_draw_reward_and_simultaneous_moves_are_joined(tok: object) -> None:
    pd = redqueen.make("prisoners_dilemma")
    both_cooperate, _ = collect(
        tok, lambda t: "cooperate", [PolicySeat(0), PolicySeat(0)], n=2, game=pd, draw_reward=0.1
    )
    for r in both_cooperate:
        assert r.returns == [3.0, 3.0] and r.rewards == [3.1, 3.1] and r.outcome(0) == "draw"
        assert sorted(t.role for t in r.traces) == [0, 1]
    split, _ = collect(
        tok,
        lambda t: "cooperate" if "You are player 0" in t else "defect",
        [PolicySeat(0), PolicySeat(0)],
        n=1,
        game=pd,
        draw_reward=0.1,
    )
    assert split[0].rewards == [0.0, 5.0] and split[0].outcome(1) == "win"


def test_three_players(tok: object) -> None:
    game = redqueen.make("kuhn_poker", players=3)
    records, _ = collect(tok, first_legal, [PolicySeat(0)] * 3, n=4, game=game)
    for r in records:
        assert len(r.rewards) == 3 and abs(sum(r.rewards)) < 1e-9
        assert {t.role for t in r.traces} <= {0, 1, 2} and len(r.traces) >= 2


def test_same_seed_same_games(tok: object) -> None:
    a, _ = collect(tok, first_legal, [PolicySeat(0), RandomAgent()])
    b, _ = collect(tok, first_legal, [PolicySeat(0), RandomAgent()])
    assert [r.to_dict() for r in a] == [r.to_dict() for r in b]


def test_bad_protocols_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="allowed: spiral, mars, plain"):
        protocol("nope")
    with pytest.raises(InvalidParameterError, match="unknown protocol field"):
        protocol("spiral", invalid_penalty=1)
    with pytest.raises(InvalidParameterError, match="allowed: plain, spiral, mars"):
        protocol("spiral", prompt_style="chat")


def test_a_group_of_games_shares_its_deal_and_the_agents_moves(tok: object) -> None:
    """With ``group_size`` 4, the four games of a group are dealt alike and the random
    agent moves alike in them (the scripted policy answers alike, so the games are
    equal but for their episode numbers); games of different groups are not all alike."""

    seeds: list[int] = []

    class Seeds(Scripted):
        def generate(self, prompts, *, seed, **kwargs):  # type: ignore[no-untyped-def]
            seeds.extend(seed)
            return super().generate(prompts, seed=seed, **kwargs)

    def collected(group_size: int) -> list[dict]:  # type: ignore[type-arg]
        gen = Seeds(tok, first_legal)
        collector = Collector(protocol("plain"), {0: gen}, Prompter(tok, "plain"))
        players = [PolicySeat(0), RandomAgent()]
        records = collector.play([(KUHN, players)] * 16, seed=3, group_size=group_size)
        return [{**r.to_dict(), "episode": None} for r in records]

    grouped = collected(4)
    assert len(set(seeds)) == len(seeds)  # each reply is sampled from its own stream
    groups = [grouped[k : k + 4] for k in range(0, 16, 4)]
    assert all(g[0] == other for g in groups for other in g[1:])
    assert len({str(g[0]) for g in groups}) > 1
    apart = collected(1)
    assert apart[:4] != [apart[0]] * 4  # without groups, four games are not all alike
    with pytest.raises(InvalidParameterError, match="group_size must be at least 1"):
        Collector(protocol("plain"), {}, Prompter(tok, "plain")).play([], seed=0, group_size=0)


def menu_or_first(text: str) -> str:
    """The proposer's first menu item (three words), else the first legal move."""
    return (
        " ".join(text.split("Legal moves:")[1].split()[:3])
        if "difficulty" in text
        else first_legal(text)
    )


@pytest.mark.parametrize(("preset", "trained"), [("pasodoble", [0]), ("mae", [0, 1])])
def test_a_seat_the_game_keeps_untrained_is_counted_but_not_traced(
    preset: str, trained: list[int]
) -> None:
    """PasoDoble trains its solver only on questions with 0.2 < p < 1. A solver that
    answers alike at every attempt has p = 0 or 1, so under ``pasodoble`` its samples are
    counted (legal-move rate) but give no trace to train on; under ``mae`` they do."""
    game = redqueen.make(
        "proposer_solver", families=["arithmetic"], difficulties=2, preset=preset, attempts=6
    )
    words = word_tokenizer(prompt_vocabulary([game], "plain"))
    collector = Collector(
        protocol("plain"), {0: Scripted(words, menu_or_first)}, Prompter(words, "plain")
    )
    records = collector.play([(game, [PolicySeat(0), PolicySeat(0)])] * 8, seed=3)
    for r in records:
        assert r.invalid_by is None and not r.truncated
        assert {s.seat for s in r.samples} == {0, 1} and len(r.samples) == 7
        assert [t.role for t in r.traces] == trained


def test_a_reply_textarena_rejects_is_an_invalid_reply() -> None:
    """TextArena takes any text and judges it by its own rules (a retry, or a lost
    game); the collector counts a reply it rejects as invalid under the protocol, so a
    junk reply ends the game with SPIRAL's -1.5 / +0.5 and counts against the legal-move
    rate, not as an ordinary loss."""
    pytest.importorskip("textarena", reason="textarena is not installed: pip install -e .[test]")
    game = redqueen.make("textarena:TicTacToe-v0")
    words = word_tokenizer(["nonsense", "Move:", "Legal", "moves:", "any"])
    gen = Scripted(words, lambda text: "nonsense")
    collector = Collector(protocol("spiral"), {0: gen}, Prompter(words, "plain"))
    (record,) = collector.play([(game, [PolicySeat(0), PolicySeat(0)])], seed=3)
    assert record.invalid_by == 0 and record.rewards == [-1.5, 0.5]
    assert record.outcome(0) == "invalid"
    assert [s.valid for s in record.samples] == [False]


def test_an_api_model_is_an_opponent_like_any_agent(tok: object) -> None:
    """An API model (here the scripted test server behind an LLMAgent, which the loop
    builds from an ``llm:...`` spec) plays the other seat; only the policy's seat trains."""
    from redqueen.agents.llm import LLMAgent
    from redqueen.agents.llm.test_server import ScriptedServer

    with ScriptedServer("last") as server:
        api = LLMAgent(model="scripted", base_url=server.url, api_key_env=None, cache=False)
        records, _ = collect(tok, first_legal, [PolicySeat(0), api], n=4)
    for r in records:
        assert r.invalid_by is None and not r.truncated and r.players[1].startswith("llm")
        assert {s.seat for s in r.samples} == {0} and [t.role for t in r.traces] == [0]
        assert sum(r.returns) == 0
