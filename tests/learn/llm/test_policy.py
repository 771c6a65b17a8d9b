"""The policy a model induces on Kuhn poker is exactly the model's own probabilities of
each legal answer, its exploitability is the exact best response's, and sampling the
model estimates the same policy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import redqueen
from redqueen.errors import InvalidParameterError
from redqueen.learn.llm.collector import Prompter, prompt_vocabulary
from redqueen.learn.llm.generators import TransformersGenerator
from redqueen.learn.llm.policy import (
    checkpoint_mixture,
    induced_policy,
    information_states,
    policy_exploitability,
    sampled_policy,
)
from redqueen.learn.llm.tiny import build_tiny_model, load_model
from redqueen.solve.policy import TabularPolicy

KUHN = redqueen.make("kuhn_poker")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    path = tmp_path_factory.mktemp("tiny") / "kuhn"
    build_tiny_model(path, prompt_vocabulary([KUHN], "plain"), seed=3)
    return load_model(path)


def test_kuhn_has_twelve_information_states() -> None:
    states = information_states(KUHN)
    assert len(states) == 12 and {p for p, _ in states} == {0, 1}


def test_uniform_play_is_exploitable_by_eleven_twenty_fourths() -> None:
    # NashConv of the uniform policy in Kuhn poker is 11/12 (OpenSpiel's test value)
    assert policy_exploitability(KUHN, TabularPolicy.uniform(KUHN)) == pytest.approx(11 / 24)


def test_induced_policy_is_the_models_own_answer_probabilities(tiny: tuple) -> None:
    model, tok = tiny
    prompter = Prompter(tok, "plain")
    policy = induced_policy(model, prompter, KUHN)
    for (player, key), state in information_states(KUHN).items():
        legal = state.legal_actions()
        moves = [state.action_text(a, player) for a in legal]
        user = {
            "role": "user",
            "content": prompter.user_text(state.observation_text(player), moves),
        }
        prompt = prompter.prompt_ids(KUHN, [user])
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([prompt])).logits[0, -1]
        # each move's words, with a full stop, and its id: one word each here, and the
        # ones the vocabulary lacks ("pass.") are no answer at all
        probs = torch.softmax(logits, dim=-1)
        mass = []
        for a, m in zip(legal, moves, strict=True):
            words = {tok.convert_tokens_to_ids(w) for w in (m, f"{m}.", str(a))}
            mass.append(float(sum(probs[i] for i in words - {tok.unk_token_id})))
        expected = np.array(mass) / sum(mass)
        got = [policy.probabilities(player, key)[a] for a in legal]
        np.testing.assert_allclose(got, expected, atol=1e-5)
    value = policy_exploitability(KUHN, policy)
    assert 0 < value <= 2 and value != pytest.approx(11 / 24, abs=1e-4)


def test_sampling_estimates_the_induced_policy(tiny: tuple) -> None:
    model, tok = tiny
    prompter = Prompter(tok, "plain")
    exact = induced_policy(model, prompter, KUHN)
    n = 600
    sampled = sampled_policy(
        TransformersGenerator(model, tok), prompter, KUHN, samples=n, max_new_tokens=2, seed=5
    )
    assert sampled.replies == 12 * n and 0 < sampled.invalid < sampled.replies
    legal_share = 1 - sampled.invalid / sampled.replies
    for infoset in information_states(KUHN):
        p = exact.probabilities(*infoset)[1]
        q = sampled.policy.probabilities(*infoset)[1]
        spread = np.sqrt(p * (1 - p) / max(1, n * legal_share))
        assert abs(p - q) < 5 * spread + 0.02, infoset


def test_the_mixture_of_one_policy_is_that_policy(tiny: tuple) -> None:
    model, tok = tiny
    policy = induced_policy(model, Prompter(tok, "plain"), KUHN)
    mixed = checkpoint_mixture(KUHN, [policy, policy])
    for key in policy:
        for a, p in policy.probabilities(*key).items():
            assert mixed.probabilities(*key)[a] == pytest.approx(p)
    assert policy_exploitability(KUHN, mixed) == pytest.approx(policy_exploitability(KUHN, policy))


class _Boosted(torch.nn.Module):
    """The tiny model with fixed amounts added to some tokens' logits everywhere: a model
    that answers ``bet.`` and ``0`` more often than ``bet`` and ``pass``."""

    def __init__(self, model: torch.nn.Module, boost: dict[int, float], vocab: int) -> None:
        super().__init__()
        self.model = model
        self.boost = torch.zeros(vocab)
        for token, amount in boost.items():
            self.boost[token] = amount

    def forward(self, *args: object, **kwargs: object) -> object:
        out = self.model(*args, **kwargs)
        out.logits = out.logits + self.boost
        return out


def test_every_spelling_the_parser_reads_counts_for_its_move(tiny: tuple) -> None:
    """``bet.`` and ``1`` are bets and ``0`` is a pass for the collector's parser, so they
    are for the induced policy too: with those answers made likely, the induced policy
    still agrees with sampling, and scoring the bare words would not."""
    model, tok = tiny
    ids = {w: tok.convert_tokens_to_ids(w) for w in ("bet", "bet.", "pass", "0", "1")}
    assert tok.unk_token_id not in ids.values()
    boosted = _Boosted(model, {ids["bet."]: 6.0, ids["0"]: 5.0, ids["1"]: 2.0}, len(tok))
    prompter = Prompter(tok, "plain")
    exact = induced_policy(boosted, prompter, KUHN)
    n = 800
    sampled = sampled_policy(
        TransformersGenerator(boosted, tok), prompter, KUHN, samples=n, max_new_tokens=1, seed=7
    )
    assert sampled.invalid < 0.1 * sampled.replies
    for (player, key), state in information_states(KUHN).items():
        p = exact.probabilities(player, key)[1]
        q = sampled.policy.probabilities(player, key)[1]
        assert abs(p - q) < 5 * np.sqrt(p * (1 - p) / n) + 0.01, (player, key)
        # the bare words alone give a different policy
        prompt = prompter.prompt_ids(
            KUHN,
            [{"role": "user", "content": prompter.user_text(
                state.observation_text(player), [state.action_text(a, player) for a in (0, 1)]
            )}],
        )  # fmt: skip
        with torch.no_grad():
            logits = boosted(input_ids=torch.tensor([prompt])).logits[0, -1]
        words_only = float(torch.softmax(logits[[ids["pass"], ids["bet"]]], dim=-1)[1])
        assert abs(words_only - q) > 0.1, (player, key)


def test_a_model_that_cannot_write_any_legal_answer_is_scored_uniform(tiny: tuple) -> None:
    """The Kuhn word tokenizer has no ``\\boxed{pass}`` or ``\\boxed{`` word, so in
    SPIRAL's style the tiny model can write no legal answer: the induced policy is uniform
    there, as a sampled policy with no legal reply is, not a score of unknown words."""
    model, tok = tiny
    prompter = Prompter(tok, "spiral")
    assert tok.unk_token_id in tok.encode("\\boxed{pass}", add_special_tokens=False)
    policy = induced_policy(model, prompter, KUHN)
    for infoset in information_states(KUHN):
        assert policy.probabilities(*infoset) == {0: 0.5, 1: 0.5}


def test_a_spelling_that_extends_another_is_counted_once() -> None:
    """With a tokenizer that splits off punctuation, ``bet.`` is the tokens of ``bet``
    then ``.``: in the plain style, whose replies are read by their first words, that
    answer is already in the probability of ``bet``, so it is not added again."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from redqueen.learn.llm.policy import _prompt_and_answers

    words = ["<pad>", "<unk>", "<bos>", "<eos>", *prompt_vocabulary([KUHN], "plain"), "."]
    splitter = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation("isolated")]
    )
    pieces = {p for w in words for p, _ in splitter.pre_tokenize_str(w)} | set(words[:4])
    backend = Tokenizer(models.WordLevel({p: i for i, p in enumerate(sorted(pieces))}, "<unk>"))
    backend.pre_tokenizer = splitter
    tok = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>"
    )
    state = information_states(KUHN)[(0, (2, ()))]
    _, legal, answers = _prompt_and_answers(Prompter(tok, "plain"), KUHN, state, 0)
    ids = tok.convert_tokens_to_ids
    assert legal == [0, 1]
    assert answers[1] == [[ids("bet")], [ids("1")]]  # not [bet, .] as well
    assert answers[0] == [[ids("pass")], [ids("0")]]


def test_an_api_models_policy_is_estimated_by_asking_it_with_an_interval() -> None:
    """An API model (through the scripted test server) that always names the last legal
    move bets or calls at every information state: the estimate is that policy exactly,
    and since every reply agrees the bootstrap interval is the point itself."""
    from redqueen.agents.llm import LLMAgent
    from redqueen.agents.llm.test_server import ScriptedServer
    from redqueen.learn.llm.policy import agent_sampled_policy, sampled_exploitability

    always_bet = TabularPolicy(
        {
            k: {a: float(a == max(s.legal_actions())) for a in s.legal_actions()}
            for k, s in information_states(KUHN).items()
        }
    )
    with ScriptedServer("last") as server:
        llm = LLMAgent(model="scripted", base_url=server.url, api_key_env=None, cache=False)
        sampled = agent_sampled_policy(llm, KUHN, samples=3, seed=1)
    assert sampled.replies == 36 and sampled.invalid == 0
    assert sampled.policy.table() == always_bet.table()
    figures = sampled_exploitability(KUHN, sampled, resamples=20)
    exact = policy_exploitability(KUHN, always_bet)
    assert figures["exploitability"] == pytest.approx(exact)
    assert figures["low"] == pytest.approx(exact) and figures["high"] == pytest.approx(exact)
    assert figures["invalid_rate"] == 0.0 and figures["invalid_high"] > 0.0  # Wilson


def test_every_reply_of_an_api_model_counts_once_retries_and_forfeits_included() -> None:
    """A model whose replies never parse is asked again once, then forfeits: both replies
    are invalid, so the invalid-reply rate is exactly 1 (counting the forfeit as one more
    invalid reply, or its two failed replies as one reply, would put it above 1), and
    with no legal reply anywhere the estimate stays uniform."""
    from redqueen.agents.llm import LLMAgent
    from redqueen.agents.llm.test_server import ScriptedServer
    from redqueen.learn.llm.policy import agent_sampled_policy, sampled_exploitability

    with ScriptedServer("random", malformed_rate=1.0, seed=3) as server:
        llm = LLMAgent(
            model="scripted", base_url=server.url, api_key_env=None, cache=False, reasks=1
        )
        sampled = agent_sampled_policy(llm, KUHN, samples=2, seed=1)
    assert sampled.replies == sampled.invalid == 12 * 2 * 2
    assert sampled.policy.table() == TabularPolicy.uniform(KUHN).table()
    figures = sampled_exploitability(KUHN, sampled, resamples=2)
    assert figures["invalid_rate"] == 1.0 and figures["exploitability"] == pytest.approx(11 / 24)


def test_the_interval_covers_the_true_policy_and_narrows_with_more_samples() -> None:
    """A random agent plays the uniform policy (exploitability 11/24): its sampled
    estimate's 95% bootstrap interval contains it, and is narrower from 400 samples an
    information state than from 25."""
    from redqueen.agents import RandomAgent
    from redqueen.learn.llm.policy import agent_sampled_policy, sampled_exploitability

    widths = []
    for samples in (25, 400):
        sampled = agent_sampled_policy(RandomAgent(), KUHN, samples=samples, seed=2)
        figures = sampled_exploitability(KUHN, sampled, resamples=200, seed=3)
        assert figures["low"] <= 11 / 24 <= figures["high"], (samples, figures)
        widths.append(figures["high"] - figures["low"])
    assert widths[1] < widths[0] / 2, widths
    with pytest.raises(InvalidParameterError, match="at least 1"):
        agent_sampled_policy(RandomAgent(), KUHN, samples=0)
