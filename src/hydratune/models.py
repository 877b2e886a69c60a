"""The ``model`` group: builders that return ``(model, tokenizer)``.

Each builder takes the :class:`~hydratune.data.TaskData` so labels (and, for the offline
tiny models, the tokenizer's training texts) come from the data, never from the config.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
    PreTrainedTokenizerFast,
)

from hydratune.data import TaskData
from hydratune.hub import explain_unreachable, local_only

BERT_SPECIALS = {
    "pad_token": "[PAD]",
    "unk_token": "[UNK]",
    "cls_token": "[CLS]",
    "sep_token": "[SEP]",
    "mask_token": "[MASK]",
}


def tiny_bert(
    data: TaskData,
    vocab_size: int = 2000,
    hidden_size: int = 64,
    num_hidden_layers: int = 2,
    num_attention_heads: int = 2,
    intermediate_size: int = 128,
    max_position_embeddings: int = 512,
    hidden_dropout_prob: float = 0.1,
    lowercase: bool = True,
):
    """A small BERT classifier built from a config, with a WordPiece tokenizer trained offline."""
    tokenizer = train_wordpiece(data.train_texts(), vocab_size, lowercase, max_position_embeddings)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        hidden_dropout_prob=hidden_dropout_prob,
        pad_token_id=tokenizer.pad_token_id,
        **data.label_config(),
    )
    return BertForSequenceClassification(config), tokenizer


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


def pretrained(
    data: TaskData,
    name_or_path: str,
    tokenizer_name_or_path: str | None = None,
    revision: str | None = None,
    trust_remote_code: bool = False,
    ignore_mismatched_sizes: bool = False,
):
    """A hub id or a local ``save_pretrained`` directory, with a head sized to the data.

    A checkpoint without a classification head gets a fresh one; one whose head has another
    number of labels needs ``ignore_mismatched_sizes=True`` to replace it.
    """
    offline = local_only(name_or_path)
    common = {"revision": revision, "trust_remote_code": trust_remote_code}
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            tokenizer_name_or_path or name_or_path, local_files_only=offline, **common
        )
        model = AutoModelForSequenceClassification.from_pretrained(
            name_or_path,
            local_files_only=offline,
            ignore_mismatched_sizes=ignore_mismatched_sizes,
            **data.label_config(),
            **common,
        )
    except OSError as err:
        if offline and not _is_dir(name_or_path):
            raise explain_unreachable(name_or_path, err) from err
        raise
    if tokenizer.pad_token is None:  # decoder-only checkpoints often ship without one
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def _is_dir(path: str) -> bool:
    from pathlib import Path

    return Path(path).is_dir()
