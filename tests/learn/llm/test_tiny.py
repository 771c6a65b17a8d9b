"""The tiny local model and tokenizer, and the loader that reads them back (no downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import LlamaForCausalLM

from redqueen.errors import InvalidParameterError
from redqueen.learn.llm.tiny import (
    EOS_ID,
    PAD_ID,
    build_tiny_model,
    load_model,
    text_vocabulary,
    tiny_model_config,
    word_tokenizer,
)

WORDS = ["move", "cell", "legal", "x", "o", *[str(i) for i in range(9)], "you", "board", "."]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), WORDS, seed=3)


def test_text_vocabulary_is_the_sorted_distinct_words() -> None:
    assert text_vocabulary(["b a  c\n", "a d", ""]) == ["a", "b", "c", "d"]


def test_word_tokenizer_numbers_specials_first_then_words_in_order() -> None:
    tokenizer = word_tokenizer(["b", "a", "b", "c"])
    assert tokenizer.convert_ids_to_tokens(list(range(7))) == [
        "<pad>",
        "<unk>",
        "<bos>",
        "<eos>",
        "b",
        "a",
        "c",
    ]
    assert len(tokenizer) == 7
    assert tokenizer.encode("a  c\tzz b") == [5, 6, 1, 4]  # no bos added, unknown -> <unk>
    assert tokenizer.decode([5, 6, 3]) == "a c <eos>"
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id) == (PAD_ID, EOS_ID)
    with pytest.raises(InvalidParameterError, match="no spaces"):
        word_tokenizer(["two words"])


def test_config_has_tied_embeddings_and_the_tokenizer_special_ids() -> None:
    config = tiny_model_config(20, layers=3, hidden=32, heads=2)
    assert config.tie_word_embeddings
    assert (config.pad_token_id, config.bos_token_id, config.eos_token_id) == (0, 2, 3)
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads) == (3, 32, 2)
    with pytest.raises(InvalidParameterError, match="multiple of heads"):
        tiny_model_config(20, hidden=30, heads=4)


def test_loaded_model_computes_what_the_built_one_did(model_dir: Path) -> None:
    model, tokenizer = load_model(model_dir)
    assert not model.training and model.dtype == torch.float32
    assert tokenizer.encode("you x move 4") == [18, 7, 4, 13]
    torch.manual_seed(3)
    in_memory = LlamaForCausalLM(tiny_model_config(len(WORDS) + 4)).eval()
    torch.manual_seed(4)
    other_seed = LlamaForCausalLM(tiny_model_config(len(WORDS) + 4)).eval()
    ids = torch.tensor([tokenizer.encode("you x board . 3 4 legal move")])
    with torch.no_grad():
        loaded = model(input_ids=ids).logits
        assert torch.equal(loaded, in_memory(input_ids=ids).logits)
        assert not torch.allclose(loaded, other_seed(input_ids=ids).logits, atol=1e-3)
    assert sum(p.numel() for p in model.parameters()) < 100_000


def test_building_leaves_torch_global_random_state_alone(tmp_path: Path) -> None:
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    build_tiny_model(tmp_path, ["a", "b"], seed=5)
    assert torch.equal(torch.rand(3), expected)


def test_load_model_names_a_path_that_is_not_a_local_model(tmp_path: Path, model_dir: Path) -> None:
    with pytest.raises(InvalidParameterError, match="no model directory at '/no/such/dir'"):
        load_model("/no/such/dir")
    with pytest.raises(InvalidParameterError, match=r"Qwen/Qwen3-0\.6B.*downloads nothing"):
        load_model("Qwen/Qwen3-0.6B")
    with pytest.raises(InvalidParameterError, match=rf"cannot load .*{tmp_path.name}"):
        load_model(tmp_path)
    only_tokenizer = tmp_path / "tokenizer_only"
    word_tokenizer(["a"]).save_pretrained(only_tokenizer)
    with pytest.raises(InvalidParameterError, match="tokenizer_only"):
        load_model(only_tokenizer)
    with pytest.raises(InvalidParameterError, match="allowed: float32, bfloat16, float16"):
        load_model(model_dir, dtype="float64")


def test_load_model_casts_to_the_dtype_asked(model_dir: Path) -> None:
    model, _ = load_model(model_dir, dtype="bfloat16")
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
