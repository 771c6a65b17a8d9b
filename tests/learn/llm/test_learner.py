"""The policy-gradient learner: it learns which first words are legal, its loss is the formula, PPO
starts unclipped, the KL term vanishes against itself, it resumes exactly, LoRA adapters
round-trip; and the turn records it reads survive JSON."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.learn.llm.generators import TransformersGenerator, sequence_logprobs
from redqueen.learn.llm.learner import (
    Learner,
    LearnerConfig,
    apply_lora,
    load_adapter,
    save_adapter,
)
from redqueen.learn.llm.records import TurnSample
from redqueen.learn.llm.tiny import build_tiny_model, load_model

WORDS = [chr(c) for c in range(ord("a"), ord("u"))]  # a to t
LEGAL = [4, 5, 6, 7]  # "a" to "d": the ids after the four special tokens; 4 of 24 ids


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), WORDS, seed=0)


def _prompts(seed: int, count: int = 16) -> list[list[int]]:
    draw = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, 7, (count,), generator=draw).tolist()
    return [torch.randint(4, 4 + len(WORDS), (n,), generator=draw).tolist() for n in lengths]


def _samples(
    model: Any, tokenizer: Any, prompts: list[list[int]], seed: int, max_new_tokens: int = 2
) -> list[TurnSample]:
    """One sampled turn per prompt; advantage +1 when its first word is legal, else -1."""
    generations = TransformersGenerator(model, tokenizer).generate(
        prompts, max_new_tokens=max_new_tokens, temperature=1.0, seed=seed
    )
    return [
        TurnSample(
            game="toy",
            episode=i,
            seat=i % 2,
            role=i % 2,
            turn=0,
            policy_version=0,
            prompt_ids=p,
            completion_ids=g.completion_ids,
            sampler_logprobs=g.logprobs,
            finish_reason=g.finish_reason,
            valid=True,
            advantage=1.0 if g.completion_ids[0] in LEGAL else -1.0,
        )
        for i, (p, g) in enumerate(zip(prompts, generations, strict=True))
    ]


def _probability_legal_first(model: Any, prompts: list[list[int]]) -> float:
    """The mean over prompts of the probability that the first word sampled is legal."""
    with torch.no_grad():
        per_word = [
            torch.stack(sequence_logprobs(model, prompts, [[w]] * len(prompts), 1.0)).exp()
            for w in LEGAL
        ]
    return float(torch.stack(per_word).sum(0).mean())


@pytest.mark.parametrize("algorithm", ["reinforce", "ppo"])
def test_rewarding_legal_first_words_makes_them_likelier(model_dir: Path, algorithm: str) -> None:
    # measured over 8 seeds: from 0.16-0.17 up by 0.50-0.75 (REINFORCE), 0.72-0.81 (PPO)
    for seed in range(3):
        model, tokenizer = load_model(model_dir)
        prompts = _prompts(seed)
        config = LearnerConfig(
            algorithm=algorithm,
            learning_rate=1e-2,
            max_new_tokens=2,
            seed=seed,
            epochs=1 if algorithm == "reinforce" else 2,
        )
        learner = Learner(model, config)
        before = _probability_legal_first(model, prompts)
        for step in range(10):
            learner.step(_samples(model, tokenizer, prompts, seed=100 * seed + step))
        after = _probability_legal_first(model, prompts)
        assert before < 0.2 and after > before + 0.3, (seed, before, after)
        assert learner.steps == 10


def _fixed_samples() -> list[TurnSample]:
    """Three samples of different lengths, advantages and prompts; logprobs not needed."""
    rows = [([5, 6, 7], [8, 9, 10], 1.5), ([11], [12], -0.5), ([13, 14], [15, 16, 17, 18], 0.25)]
    return [
        TurnSample("toy", i, 0, 0, 0, 0, p, c, [-1.0] * len(c), "length", True, advantage=a)
        for i, (p, c, a) in enumerate(rows)
    ]


@pytest.mark.parametrize("aggregation", ["dr_grpo", "token_mean"])
def test_reinforce_loss_is_the_aggregated_formula(model_dir: Path, aggregation: str) -> None:
    model, _ = load_model(model_dir)
    samples = _fixed_samples()
    prompts = [s.prompt_ids for s in samples]
    with torch.no_grad():
        logprobs = sequence_logprobs(model, prompts, [s.completion_ids for s in samples], 1.0)
    terms = [-s.advantage * float(lp.sum()) for s, lp in zip(samples, logprobs, strict=True)]
    by_hand = {
        "dr_grpo": sum(t / 6 for t in terms) / 3,  # sum over tokens / max_new_tokens, mean
        "token_mean": sum(terms) / 8,  # 3 + 1 + 4 tokens
    }
    config = LearnerConfig(
        algorithm="reinforce",
        aggregation=aggregation,
        max_new_tokens=6,
        epochs=1,
        learning_rate=0.0,
    )
    stats = Learner(model, config).step(samples)
    assert stats["loss"] == pytest.approx(by_hand[aggregation], abs=1e-6)
    assert abs(by_hand["dr_grpo"] - by_hand["token_mean"]) > 0.1
    assert (stats["tokens"], stats["samples"], stats["optimizer_steps"]) == (8.0, 3.0, 1.0)


def test_gradient_accumulation_changes_memory_not_the_update(model_dir: Path) -> None:
    samples = _fixed_samples() + _fixed_samples()[:1]
    results = []
    for minibatch, accumulation in [(4, 1), (1, 4), (2, 2)]:
        model, _ = load_model(model_dir)
        config = LearnerConfig(
            algorithm="ppo",
            aggregation="token_mean",
            epochs=1,
            learning_rate=1e-2,
            minibatch_size=minibatch,
            grad_accumulation=accumulation,
            max_new_tokens=6,
        )
        learner = Learner(model, config)
        stats = learner.step(samples)
        # after one step AdamW's first moment is 0.1 * the (clipped) gradient
        moments = [learner.optimizer.state[p]["exp_avg"].flatten() for p in model.parameters()]
        results.append((stats, torch.cat(moments)))
    (one, gradient), *others = results
    assert gradient.abs().max() > 1e-3
    for stats, other in others:
        assert stats["loss"] == pytest.approx(one["loss"], abs=1e-6)
        assert stats["grad_norm"] == pytest.approx(one["grad_norm"], rel=1e-5)
        assert stats["optimizer_steps"] == 1.0
        assert torch.allclose(gradient, other, atol=1e-8, rtol=1e-4)


def test_ppo_starts_unclipped_and_clips_later_epochs(model_dir: Path) -> None:
    model, tokenizer = load_model(model_dir)
    samples = _samples(model, tokenizer, _prompts(5), seed=5)
    one_epoch = LearnerConfig(learning_rate=5e-2, max_new_tokens=2, minibatch_size=16, epochs=1)
    first = Learner(model, one_epoch).step(samples)
    assert first["clip_fraction"] == 0.0
    ratio_one = -sum(s.advantage * len(s.completion_ids) for s in samples) / 2 / 16
    assert first["loss"] == pytest.approx(ratio_one, abs=1e-6)
    model, _ = load_model(model_dir)
    later = Learner(model, replace(one_epoch, epochs=4)).step(samples)
    assert later["clip_fraction"] > 0.05


def test_ppo_second_epoch_loss_is_the_clipped_objective(model_dir: Path) -> None:
    model, tokenizer = load_model(model_dir)
    samples = _samples(model, tokenizer, _prompts(11), seed=11)
    prompts = [s.prompt_ids for s in samples]
    completions = [s.completion_ids for s in samples]
    one_epoch = LearnerConfig(learning_rate=5e-2, max_new_tokens=2, minibatch_size=16, epochs=1)
    after_one = copy.deepcopy(model)  # the weights the two-epoch run has after its first
    Learner(after_one, one_epoch).step(samples)
    with torch.no_grad():
        old = sequence_logprobs(model, prompts, completions, 1.0)
        new = sequence_logprobs(after_one, prompts, completions, 1.0)
    clipped = unclipped = 0.0
    for s, lp_old, lp_new in zip(samples, old, new, strict=True):
        ratio = torch.exp(lp_new - lp_old)
        bounded = ratio.clamp(0.8, 1.2)
        clipped += float(torch.maximum(-s.advantage * ratio, -s.advantage * bounded).sum())
        unclipped += float((-s.advantage * ratio).sum())
    first = -sum(s.advantage * len(s.completion_ids) for s in samples) / (16 * 2)
    stats = Learner(model, replace(one_epoch, epochs=2)).step(samples)
    assert stats["loss"] == pytest.approx((first + clipped / (16 * 2)) / 2, abs=1e-5)
    assert abs(clipped - unclipped) / (16 * 2) > 1e-3  # the clip made a difference


def test_logprob_gap_is_zero_for_fresh_samples_and_not_for_stale_ones(model_dir: Path) -> None:
    model, tokenizer = load_model(model_dir)
    learner = Learner(model, LearnerConfig(learning_rate=1e-2, max_new_tokens=2))
    samples = _samples(model, tokenizer, _prompts(6), seed=6)
    fresh = learner.step(samples)
    stale = learner.step(samples)
    assert fresh["logprob_gap"] < 1e-5
    assert stale["logprob_gap"] > 1e-3
    assert 0 < fresh["entropy"] <= float(torch.log(torch.tensor(24.0)))


def test_kl_to_the_model_itself_is_zero_and_grows_as_it_moves(model_dir: Path) -> None:
    model, tokenizer = load_model(model_dir)
    samples = _samples(model, tokenizer, _prompts(7), seed=7)
    reference = copy.deepcopy(model)
    one_pass = LearnerConfig(algorithm="reinforce", epochs=1, max_new_tokens=2, minibatch_size=16)
    with_kl = Learner(model, replace(one_pass, kl_coef=0.5), reference=reference)
    without = Learner(copy.deepcopy(model), one_pass)
    first = with_kl.step(samples)
    assert first["kl"] == pytest.approx(0.0, abs=1e-7)
    assert first["loss"] == pytest.approx(without.step(samples)["loss"], abs=1e-7)
    moved = Learner(
        model,
        LearnerConfig(learning_rate=5e-2, epochs=3, kl_coef=0.5, max_new_tokens=2),
        reference=reference,
    )
    assert moved.step(samples)["kl"] > 1e-4
    with pytest.raises(InvalidParameterError, match="reference"):
        Learner(model, LearnerConfig(kl_coef=0.1))


def test_a_lora_models_kl_reference_is_its_base_model(model_dir: Path) -> None:
    model, tokenizer = load_model(model_dir)
    samples = _samples(model, tokenizer, _prompts(7), seed=7)
    base = copy.deepcopy(model)
    config = LearnerConfig(learning_rate=5e-2, epochs=3, kl_coef=0.5, max_new_tokens=2)
    lora = apply_lora(model, r=4, alpha=8)
    torch.manual_seed(0)
    for name, p in lora.named_parameters():
        if "lora_B" in name:  # move the adapter off zero, so the policy differs from its base
            p.data.normal_(0.0, 0.5)
    moved = copy.deepcopy(lora)
    implicit = Learner(lora, config).step(samples)  # adapter switched off for the reference
    explicit = Learner(moved, config, reference=base).step(samples)
    assert implicit["kl"] > 1e-4
    assert implicit["kl"] == pytest.approx(explicit["kl"], rel=1e-5)
    assert implicit["loss"] == pytest.approx(explicit["loss"], rel=1e-5)


def test_state_dict_resumes_the_same_next_step(model_dir: Path) -> None:
    model, tokenizer = load_model(model_dir)
    batches = [_samples(model, tokenizer, _prompts(8 + i), seed=i) for i in range(2)]
    config = LearnerConfig(learning_rate=1e-2, max_new_tokens=2, minibatch_size=4, epochs=2)
    learner = Learner(model, config)
    learner.step(batches[0])
    saved = copy.deepcopy(learner.state_dict())
    expected = learner.step(batches[1])
    weights = [p.detach().clone() for p in model.parameters()]

    resumed_model, _ = load_model(model_dir)
    resumed = Learner(resumed_model, config)
    resumed.load_state_dict(saved)
    assert resumed.steps == 1
    assert resumed.step(batches[1]) == expected
    for p, q in zip(resumed_model.parameters(), weights, strict=True):
        assert torch.equal(p, q)

    fresh_optimizer = Learner(load_model(model_dir)[0], config)
    fresh_optimizer.load_state_dict(
        {**saved, "optimizer": Learner(model, config).optimizer.state_dict()}
    )
    assert fresh_optimizer.step(batches[1]) != expected


def test_a_step_seed_fixes_the_minibatch_order(model_dir: Path) -> None:
    model, tokenizer = load_model(model_dir)
    samples = _samples(model, tokenizer, _prompts(10), seed=10)
    config = LearnerConfig(learning_rate=1e-2, max_new_tokens=2, minibatch_size=4, seed=0)

    def step(seed: int) -> dict[str, float]:
        return Learner(copy.deepcopy(model), config).step(samples, seed=seed)

    assert step(3) == step(3)
    assert step(3) != step(4)


def test_lora_adapter_trains_saves_and_reloads_identically(model_dir: Path, tmp_path: Path) -> None:
    model, tokenizer = load_model(model_dir)
    lora = apply_lora(model, r=4, alpha=8)
    trainable = [n for n, p in lora.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    samples = _samples(lora, tokenizer, _prompts(9), seed=9)
    learner = Learner(lora, LearnerConfig(learning_rate=1e-2, max_new_tokens=2))
    learner.step(samples)
    assert set(learner.state_dict()["parameters"]) == set(trainable)
    save_adapter(lora, tmp_path / "adapter")

    prompts = [s.prompt_ids for s in samples]
    completions = [s.completion_ids for s in samples]
    reloaded = load_adapter(load_model(model_dir)[0], tmp_path / "adapter")
    plain, _ = load_model(model_dir)
    with torch.no_grad():
        trained = torch.cat(sequence_logprobs(lora, prompts, completions, 1.0))
        again = torch.cat(sequence_logprobs(reloaded, prompts, completions, 1.0))
        base = torch.cat(sequence_logprobs(plain, prompts, completions, 1.0))
    assert (trained - again).abs().max() < 1e-6
    assert (trained - base).abs().max() > 1e-3
    with pytest.raises(InvalidParameterError, match="no LoRA adapter"):
        load_adapter(plain, tmp_path / "missing")


def test_config_errors_name_the_allowed_values() -> None:
    with pytest.raises(UnknownNameError, match="allowed: ppo, reinforce"):
        LearnerConfig(algorithm="grpo")
    with pytest.raises(UnknownNameError, match="allowed: dr_grpo, token_mean"):
        LearnerConfig(aggregation="seq_mean")
    with pytest.raises(InvalidParameterError, match="minibatch_size"):
        LearnerConfig(minibatch_size=0)
    with pytest.raises(InvalidParameterError, match="clip"):
        LearnerConfig(clip=1.5)


def test_completions_longer_than_the_dr_grpo_limit_are_refused(model_dir: Path) -> None:
    learner = Learner(load_model(model_dir)[0], LearnerConfig(max_new_tokens=3))
    with pytest.raises(InvalidParameterError, match="max_new_tokens is 3"):
        learner.step(_fixed_samples())


def test_turn_sample_round_trips_through_json() -> None:
    sample = _fixed_samples()[2]
    sample.role = "attacker"
    sample.advantage = 0.125
    restored = TurnSample.from_dict(json.loads(json.dumps(sample.to_dict())))
    assert restored == sample
    with pytest.raises(InvalidParameterError, match="unknown TurnSample fields: reward"):
        TurnSample.from_dict({**sample.to_dict(), "reward": 1.0})
    with pytest.raises(InvalidParameterError, match="one per token"):
        TurnSample("toy", 0, 0, 0, 0, 0, [1], [2, 3], [-1.0], "stop", True)
    with pytest.raises(InvalidParameterError, match="allowed: stop, length"):
        TurnSample("toy", 0, 0, 0, 0, 0, [1], [2], [-1.0], "eos", True)


def test_the_entropy_bonus_fades_on_schedule_and_resumes_with_it(model_dir: Path) -> None:
    """``entropy_fade=[1, 3]``: the full bonus at updates 0 and 1, half at 2, none from 3
    on; with no learning the loss falls by exactly that weight times the mean token
    entropy, and a learner restored after two updates goes on with the schedule."""
    model, _ = load_model(model_dir)
    samples = _fixed_samples()
    config = LearnerConfig(
        algorithm="reinforce",
        aggregation="token_mean",
        max_new_tokens=6,
        epochs=1,
        learning_rate=0.0,
        entropy_coef=0.2,
        entropy_fade=[1, 3],  # type: ignore[arg-type]  # as a recipe gives it
    )
    assert config.entropy_fade == (1, 3)
    plain = Learner(model, replace(config, entropy_coef=0.0, entropy_fade=None)).step(samples)
    learner = Learner(model, config)
    weights, saved = [], None
    for update in range(5):
        if update == 2:
            saved = copy.deepcopy(learner.state_dict())
        stats = learner.step(samples)
        weights.append(stats["entropy_weight"])
        assert plain["loss"] - stats["loss"] == pytest.approx(
            stats["entropy_weight"] * plain["entropy"], abs=1e-6
        )
    assert weights == pytest.approx([0.2, 0.2, 0.1, 0.0, 0.0])
    assert plain["entropy"] > 0.5
    resumed = Learner(model, config)
    assert saved is not None
    resumed.load_state_dict(saved)
    assert [resumed.step(samples)["entropy_weight"] for _ in range(2)] == pytest.approx([0.1, 0])


def test_an_entropy_fade_must_run_forwards() -> None:
    for fade in [(5, 3), (1, 2, 3), ("a", 2), (-1, 4), "[1,2]"]:
        with pytest.raises(
            InvalidParameterError, match=r"entropy_fade .*give \[start, end\].*0 <= start <= end"
        ):
            LearnerConfig(entropy_coef=0.1, entropy_fade=fade)  # type: ignore[arg-type]
