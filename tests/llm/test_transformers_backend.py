"""The local transformers backend, on a tiny randomly initialised GPT-2 built here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import redqueen
from redqueen.agents import FirstLegalAgent
from redqueen.agents.llm import BackendConfigError, LLMAgent, TransformersBackend
from redqueen.play import play_match

transformers = pytest.importorskip("transformers", reason="the local-llm extra is not installed")
torch = pytest.importorskip("torch", reason="the local-llm extra is not installed")


def tiny_model(path: Path) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["[UNK]", "[EOS]", "a1", "b2", "c3", "x", "o", "move", "the", "."]
    vocab = {w: i for i, w in enumerate(words)}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", eos_token="[EOS]", pad_token="[EOS]"
    )
    fast.save_pretrained(path)
    config = transformers.GPT2Config(
        vocab_size=len(words),
        n_positions=4096,
        n_embd=16,
        n_layer=2,
        n_head=2,
        bos_token_id=1,
        eos_token_id=1,
    )
    torch.manual_seed(0)
    transformers.GPT2LMHeadModel(config).save_pretrained(path)
    return path


def test_tiny_local_model_plays_and_its_invalid_replies_fall_back(tmp_path: Path) -> None:
    path = tiny_model(tmp_path / "tiny")
    backend = TransformersBackend(str(path))
    completion = asyncio.run(
        backend.complete([{"role": "user", "content": "the move"}], temperature=0.0, max_tokens=4)
    )
    # no chat template: "user: the move\nassistant:" is six words to this tokenizer
    assert completion.input_tokens == 6 and 1 <= completion.output_tokens <= 4
    game = redqueen.make("tic_tac_toe")
    agent = LLMAgent(
        model=str(path), backend="transformers", max_tokens=4, reasks=0, on_invalid="random"
    )
    result = play_match(game, [agent, FirstLegalAgent()], seed=2)
    # "\boxed{" is not in the vocabulary, so no reply can hold a move: every x move is a
    # counted invalid reply replaced by a random legal move
    assert result.invalid_moves == (len(result.trajectory[::2]), 0)
    assert result.forfeits == ()


def test_missing_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    agent = LLMAgent(model=str(tmp_path / "nowhere"), backend="transformers")
    with pytest.raises(BackendConfigError, match="no model directory at"):
        play_match(redqueen.make("tic_tac_toe"), [agent, FirstLegalAgent()])
