"""Tokenizers trained offline on the training texts, and the chat template they carry.

The tiny models (``model=tiny_bert``, ``tiny_llama``, ``tiny_t5``, ``custom``) need no download:
their
vocabularies are learned from the data, deterministically, so identical data gives an identical
tokenizer and datasets' cache hits on the second run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from transformers import PreTrainedTokenizerFast

BERT_SPECIALS = {
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}


def train_wordpiece(
    texts: Iterable[str], vocab_size: int, lowercase: bool = True, model_max_length: int = 512
) -> PreTrainedTokenizerFast:
    """A BERT-style WordPiece tokenizer whose vocabulary is learned from ``texts``.

    The vocabulary is every character (alone and as a ``##`` continuation) plus the most
    frequent words, ties broken alphabetically. The Rust WordPieceTrainer breaks ties in a
    different order each process, which would change the tokenizer's fingerprint and defeat
    datasets' cache on every run; this one is identical for identical data.
    """
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    vocab = wordpiece_vocab(texts, vocab_size, normalizer, pre_tokenizer)
    tok = Tokenizer(WordPiece(vocab, unk_token=BERT_SPECIALS["unk_token"]))
    tok.normalizer, tok.pre_tokenizer, tok.decoder = normalizer, pre_tokenizer, decoders.WordPiece()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        model_max_length=model_max_length,
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],  # pairs need types
        **BERT_SPECIALS,
    )


def wordpiece_vocab(texts: Iterable[str], vocab_size: int, normalizer, pre_tokenizer) -> dict:
    words: Counter[str] = Counter()
    for text in texts:
        pieces = pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text))
        words.update(word for word, _ in pieces)
    chars = sorted({c for word in words for c in word})
    tokens = list(BERT_SPECIALS.values()) + chars + [f"##{c}" for c in chars]
    known = set(tokens)
    frequent = sorted(words, key=lambda w: (-words[w], w))
    tokens += [w for w in frequent if w not in known][: max(0, vocab_size - len(tokens))]
    return {token: i for i, token in enumerate(tokens)}


# Causal language models (trainer=sft) ----------------------------------------------------------

LLAMA_SPECIALS = {"pad_token": "<|pad|>", "eos_token": "<|im_end|>"}  # eos also ends each turn
TURN_START = "<|im_start|>"

# ChatML. Assistant turns, with their end-of-turn token, sit inside {% generation %} so that
# apply_chat_template(return_assistant_tokens_mask=True) can mark them: assistant-only loss.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if message['role'] == 'assistant' %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- generation %}{{- message['content'] + '<|im_end|>' }}{%- endgeneration %}"
    "{{- '\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def train_byte_bpe(
    texts: Iterable[str], vocab_size: int, model_max_length: int = 512
) -> PreTrainedTokenizerFast:
    """A GPT-2-style byte-level BPE tokenizer learned from ``texts``: any text encodes (no
    unknown token), and identical data gives an identical tokenizer (datasets' cache hits)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[LLAMA_SPECIALS["pad_token"], TURN_START, LLAMA_SPECIALS["eos_token"]],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        model_max_length=model_max_length,
        chat_template=CHAT_TEMPLATE,
        **LLAMA_SPECIALS,
    )


# Encoder-decoder models (trainer=seq2seq) ----------------------------------------------------

T5_SPECIALS = {"pad_token": "<pad>", "eos_token": "</s>", "unk_token": "<unk>"}  # ids 0, 1, 2


def train_metaspace_bpe(
    texts: Iterable[str], vocab_size: int, model_max_length: int = 512
) -> PreTrainedTokenizerFast:
    """A SentencePiece-style tokenizer learned from ``texts``: NFKC, words marked with ``▁``
    (Metaspace), BPE merges; ``<pad>`` = 0, ``</s>`` = 1 (appended to every sequence),
    ``<unk>`` = 2 for characters never seen in training.

    BPE rather than Unigram because the Rust ``UnigramTrainer`` orders tied pieces differently
    in each process (and its scores differ in the last bits), which would change the tokenizer's
    hash and defeat datasets' cache on every run; the ``BpeTrainer`` gives an identical
    tokenizer for identical data.
    """
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import BpeTrainer

    specials = list(T5_SPECIALS.values())
    tok = Tokenizer(models.BPE(unk_token=T5_SPECIALS["unk_token"]))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False)
    tok.train_from_iterator(texts, trainer)
    eos = T5_SPECIALS["eos_token"]
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {eos}", pair=f"$A {eos} $B {eos}", special_tokens=[(eos, tok.token_to_id(eos))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        model_max_length=model_max_length,
        model_input_names=["input_ids", "attention_mask"],
        clean_up_tokenization_spaces=False,  # decode gives back the text, spaces as they were
        **T5_SPECIALS,
    )
