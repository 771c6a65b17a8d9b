"""A tiny causal LM built locally, and the loader every LLM trainer here uses.

Tests and laptops need a language model that downloads nothing. :func:`build_tiny_model`
writes one to a directory: a randomly initialised ``LlamaForCausalLM`` (2 layers, hidden
size 64, tied embeddings: about 85k parameters for a 30-word vocabulary) and a word-level
tokenizer whose vocabulary is the words of the game's texts (:func:`text_vocabulary`).
Both are saved with ``save_pretrained``, so :func:`load_model` reads the directory exactly
as it reads a real model's (research note §8.1; verl's end-to-end tests use the same idea,
a character tokenizer and a locally created model). A random model is the right fixture:
deterministic for a seed, seconds to build, no licence questions.

:func:`load_model` only ever reads a local directory (``local_files_only=True``): a hub id
or a missing path is an :class:`~redqueen.errors.InvalidParameterError` that names it.

The tokenizer's special tokens come first, in the order of :data:`SPECIAL_TOKENS`, then the
words in the order given, without duplicates: the same words always give the same ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from redqueen.errors import InvalidParameterError

__all__ = [
    "BOS_ID",
    "DTYPES",
    "EOS_ID",
    "PAD_ID",
    "SPECIAL_TOKENS",
    "UNK_ID",
    "build_tiny_model",
    "load_model",
    "text_vocabulary",
    "tiny_model_config",
    "word_tokenizer",
]

SPECIAL_TOKENS: tuple[str, ...] = ("<pad>", "<unk>", "<bos>", "<eos>")
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(len(SPECIAL_TOKENS))
DTYPES: tuple[str, ...] = ("float32", "bfloat16", "float16")


def text_vocabulary(texts: Iterable[str]) -> list[str]:
    """The distinct whitespace-separated words of ``texts``, sorted."""
    return sorted({word for text in texts for word in text.split()})


def word_tokenizer(words: Sequence[str]) -> Any:
    """A ``PreTrainedTokenizerFast`` that splits on whitespace and maps each word to one id.

    Ids: the special tokens (``<pad>`` 0, ``<unk>`` 1, ``<bos>`` 2, ``<eos>`` 3), then
    ``words`` in order, duplicates removed; a word not in the vocabulary is ``<unk>``.
    Nothing is added around encoded text (no ``<bos>``): prompts are what the caller says.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocabulary = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    for word in words:
        if not word or any(c.isspace() for c in word):
            raise InvalidParameterError(f"a vocabulary word must be non-empty, no spaces: {word!r}")
        vocabulary.setdefault(word, len(vocabulary))
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    pad, unk, bos, eos = SPECIAL_TOKENS
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token=pad, unk_token=unk, bos_token=bos, eos_token=eos
    )


def tiny_model_config(
    vocab_size: int,
    *,
    layers: int = 2,
    hidden: int = 64,
    heads: int = 4,
    intermediate: int = 128,
    max_positions: int = 256,
) -> Any:
    """A ``LlamaConfig`` for a small model with tied input and output embeddings, whose
    pad, bos and eos ids are those of :func:`word_tokenizer`."""
    from transformers import LlamaConfig

    if hidden % heads:
        raise InvalidParameterError(f"hidden ({hidden}) must be a multiple of heads ({heads})")
    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        pad_token_id=PAD_ID,
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
    )


def build_tiny_model(
    directory: str | Path, words: Sequence[str], *, seed: int = 0, **config: int
) -> Path:
    """Write a randomly initialised tiny Llama and its word tokenizer to ``directory``.

    ``config`` goes to :func:`tiny_model_config` (``layers``, ``hidden``, ``heads``,
    ``intermediate``, ``max_positions``). The weights depend on ``seed`` only; torch's
    global random state is left as it was. Returns the directory, for :func:`load_model`.
    """
    import torch
    from transformers import LlamaForCausalLM

    tokenizer = word_tokenizer(words)
    model_config = tiny_model_config(len(tokenizer), **config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(model_config)
    path = Path(directory)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def load_model(path: str | Path, *, dtype: str = "float32", device: str = "cpu") -> tuple[Any, Any]:
    """``(model, tokenizer)`` from a directory written by ``save_pretrained``, in eval mode.

    Works for :func:`build_tiny_model`'s directories and for a real model's. Never
    downloads: a path that is not a directory, or a directory that does not hold a causal
    LM and its tokenizer, raises :class:`~redqueen.errors.InvalidParameterError` naming it.
    A tokenizer without a pad token pads with its end-of-sequence token.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype not in DTYPES:
        raise InvalidParameterError(f"dtype {dtype!r}; allowed: {', '.join(DTYPES)}")
    directory = Path(path)
    if not directory.is_dir():
        raise InvalidParameterError(
            f"no model directory at {str(path)!r}: load_model reads a local directory "
            "written by save_pretrained and downloads nothing"
        )
    try:
        model = AutoModelForCausalLM.from_pretrained(
            directory, dtype=getattr(torch, dtype), local_files_only=True
        )
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InvalidParameterError(
            f"cannot load a causal language model and tokenizer from {str(path)!r}: {reason}"
        ) from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device)
    model.eval()
    return model, tokenizer
