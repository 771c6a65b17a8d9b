"""The policy a model induces on Kuhn poker is exactly the model's own probabilities of
each legal answer, its exploitability is the exact best response's, and sampling the
model estimates the same policy."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import redqueen
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
        first = [tok.encode(m, add_special_tokens=False)[0] for m in moves]
        expected = torch.softmax(logits[first], dim=-1).numpy()
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
