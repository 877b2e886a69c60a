"""The ``model`` group: builders that return ``(model, tokenizer)``.

Each builder takes the data object (``hydratune.groups.data``) so labels (and, for the offline
tiny models, the tokenizer's training texts) come from the data, never from the config; the
head follows the data's ``kind``.
"""

from __future__ import annotations

import inspect
import logging
from typing import Annotated, Literal

import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
)
from transformers.modeling_outputs import SequenceClassifierOutput

from hydratune.compat.hub import explain_unreachable, local_only
from hydratune.config.errors import ConfigError
from hydratune.config.kinds import CLASSIFIERS, Kind, works_on
from hydratune.config.ranges import AT_LEAST_ONE, DROPOUT
from hydratune.groups.model.loading import CHOICES, attention, load_options
from hydratune.groups.model.tokenizers import train_byte_bpe, train_metaspace_bpe, train_wordpiece

log = logging.getLogger(__name__)
Size = Annotated[int, AT_LEAST_ONE]  # layer counts and widths


@works_on(*CLASSIFIERS)
def tiny_bert(
    data,
    *,
    vocab_size: Size = 2000,
    hidden_size: Size = 64,
    num_hidden_layers: Size = 2,
    num_attention_heads: Size = 2,
    intermediate_size: Size = 128,
    max_position_embeddings: Size = 512,
    hidden_dropout_prob: Annotated[float, DROPOUT] = 0.1,
    attention_probs_dropout_prob: Annotated[float, DROPOUT] = 0.1,
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
        attention_probs_dropout_prob=attention_probs_dropout_prob,
        pad_token_id=tokenizer.pad_token_id,
        **data.label_config(),
    )
    return BertForSequenceClassification(config), tokenizer


def hf(
    data,
    load_weights: bool = True,
    *,
    name_or_path: str,
    tokenizer_name_or_path: str | None = None,
    revision: str | None = None,
    trust_remote_code: bool = False,
    ignore_mismatched_sizes: bool = False,
    task: Literal["auto", "sequence_classification", "causal_lm", "seq2seq_lm"] = "auto",
    use_safetensors: bool = True,
    chat_template: str | None = None,
    attn_implementation: Literal[CHOICES] | None = "auto",
    dtype: str | None = None,
    quantization: dict | None = None,
):
    """A hub id or a local ``save_pretrained`` directory, with a head sized to the data.

    A checkpoint without a classification head gets a fresh one; one whose head has another
    number of labels needs ``ignore_mismatched_sizes=True`` to replace it. ``task`` picks the
    head (:data:`TASKS`); ``auto`` follows the data: a causal LM for SFT data, an encoder-decoder
    (``AutoModelForSeq2SeqLM``) for seq2seq data, else a classifier. ``chat_template`` (a Jinja
    string) replaces the tokenizer's; SFT data on a tokenizer that has none gets hydratune's
    ChatML (:func:`with_chat_template`). ``attn_implementation``, ``dtype`` and
    ``quantization`` say how the weights load (:mod:`hydratune.groups.model.loading`).
    """
    offline = local_only(name_or_path)
    common = {"revision": revision, "trust_remote_code": trust_remote_code}
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            tokenizer_name_or_path or name_or_path, local_files_only=offline, **common
        )
        with_chat_template(tokenizer, data, chat_template)
        auto_class, head = model_class(task, data)
        if auto_class.__name__ == "AutoModelForSeq2SeqLM":
            check_encoder_decoder(name_or_path, offline, common)
        if not load_weights:  # dry run: the architecture and config, no checkpoint read
            return _skeleton(auto_class, name_or_path, offline, head, common), tokenizer
        model = auto_class.from_pretrained(
            name_or_path,
            local_files_only=offline,
            ignore_mismatched_sizes=ignore_mismatched_sizes,
            use_safetensors=use_safetensors,  # pickle-free weights unless asked otherwise
            **load_options(attn_implementation, dtype, quantization),
            **head,
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


def with_chat_template(tokenizer, data, chat_template: str | None = None) -> None:
    """Give the tokenizer the chat template SFT needs: ``chat_template`` when given, else its
    own, else (base checkpoints often ship none) hydratune's ChatML with ``{% generation %}``
    markers, so assistant-only loss works too. It is saved with the tokenizer in ``model/``."""
    if chat_template:
        tokenizer.chat_template = chat_template
    if data.kind != Kind.CAUSAL_LM or tokenizer.chat_template:
        return
    from hydratune.groups.model.tokenizers import CHAT_TEMPLATE

    log.warning(
        "%s has no chat template: using hydratune's ChatML template (<|im_start|>role ... "
        "<|im_end|>, saved with the model). Set model.chat_template='<jinja>' for another.",
        tokenizer.name_or_path,
    )
    tokenizer.chat_template = CHAT_TEMPLATE


def _skeleton(auto_class, name_or_path: str, offline: bool, head: dict, common: dict):
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(name_or_path, local_files_only=offline, **head, **common)
    with torch.device("meta"):  # parameters without memory or values
        return auto_class.from_config(config, trust_remote_code=common["trust_remote_code"])


def _is_dir(path: str) -> bool:
    from pathlib import Path

    return Path(path).is_dir()


SPEC_FILE = "hydratune_module.json"


@works_on(*CLASSIFIERS)
def custom(data, *, module: dict, vocab_size: Size = 2000, lowercase: bool = True):
    """Any ``torch.nn.Module`` by ``_target_``, with a WordPiece tokenizer trained offline.

    The module is built with ``vocab_size`` and ``num_labels`` from the tokenizer and data; its
    ``forward`` takes (a subset of) ``input_ids``, ``attention_mask``, ``token_type_ids`` and
    returns logits, a dict or a ModelOutput with ``logits``.
    """
    tokenizer = train_wordpiece(data.train_texts(), vocab_size, lowercase)
    from omegaconf import OmegaConf

    spec = {
        "module": OmegaConf.to_container(module) if OmegaConf.is_config(module) else module,
        "sizes": {"vocab_size": len(tokenizer), "num_labels": data.num_labels},
        "label_config": data.label_config(),
    }
    return CustomClassifier(spec), tokenizer


def load_custom(model_dir: str) -> CustomClassifier:
    """Rebuild a ``model=custom`` run's module from its ``model/`` directory."""
    import json
    from pathlib import Path

    from safetensors.torch import load_file

    spec = json.loads((Path(model_dir) / SPEC_FILE).read_text())
    model = CustomClassifier(spec)
    model.load_state_dict(load_file(str(Path(model_dir) / "model.safetensors")))
    return model


class CustomClassifier(torch.nn.Module):
    """Gives a user's module the fixed forward signature and outputs that Trainer expects.

    Trainer drops dataset columns that ``forward`` does not name and slices tuple outputs, so
    the wrapper names the tokenizer's columns and always returns a ModelOutput.
    """

    def __init__(self, spec: dict):
        from hydra.utils import instantiate

        super().__init__()
        self.spec = spec
        self.module = instantiate(spec["module"], **spec["sizes"])
        accepted = inspect.signature(self.module.forward).parameters
        takes_all = any(p.kind == p.VAR_KEYWORD for p in accepted.values())
        self._inputs = {k for k in _TOKEN_INPUTS if takes_all or k in accepted}

    def forward(self, input_ids, attention_mask=None, token_type_ids=None, labels=None):
        given = {"input_ids": input_ids, "attention_mask": attention_mask}
        given["token_type_ids"] = token_type_ids
        out = self.module(**{k: v for k, v in given.items() if k in self._inputs})
        logits = out if isinstance(out, torch.Tensor) else out["logits"]
        loss = None if isinstance(out, torch.Tensor) else out.get("loss")
        return SequenceClassifierOutput(loss=loss, logits=logits)

    def save_spec(self, model_dir) -> None:
        import json
        from pathlib import Path

        (Path(model_dir) / SPEC_FILE).write_text(json.dumps(self.spec, indent=2))


_TOKEN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class BagOfEmbeddings(torch.nn.Module):
    """Example custom module: mean of token embeddings, then a linear classifier."""

    def __init__(self, vocab_size: int, num_labels: int, embedding_dim: int = 64):
        super().__init__()
        self.embed = torch.nn.EmbeddingBag(vocab_size, embedding_dim, mode="sum")
        self.classify = torch.nn.Linear(embedding_dim, num_labels)

    def forward(self, input_ids, attention_mask=None):
        mask = attention_mask if attention_mask is not None else torch.ones_like(input_ids)
        summed = self.embed(input_ids, per_sample_weights=mask.float())
        return self.classify(summed / mask.sum(-1, keepdim=True).clamp(min=1))


# model.task for model=hf; auto = from the data kind (AUTO_TASK)
TASKS = ("sequence_classification", "causal_lm", "seq2seq_lm")
AUTO_TASK = {"classification": "sequence_classification", "multilabel": "sequence_classification",
             "causal_lm": "causal_lm", "seq2seq": "seq2seq_lm"}  # fmt: skip


# Causal language models (trainer=sft) ----------------------------------------------------------


@works_on(Kind.CAUSAL_LM)
def tiny_llama(
    data,
    *,
    vocab_size: Size = 2000,
    hidden_size: Size = 64,
    num_hidden_layers: Size = 2,
    num_attention_heads: Size = 4,
    num_key_value_heads: Size = 2,
    intermediate_size: Size = 128,
    max_position_embeddings: Size = 512,
    attn_implementation: Literal[CHOICES] | None = "auto",
):
    """A small Llama causal LM built from a config, with a byte-level BPE tokenizer trained
    offline on the training texts, pad and eos tokens, and a ChatML chat template.
    ``attn_implementation`` as in :func:`hf` (``auto``: FlashAttention-2 where installed)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = train_byte_bpe(data.train_texts(), vocab_size, max_position_embeddings)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        num_key_value_heads=num_key_value_heads,
        intermediate_size=intermediate_size,
        max_position_embeddings=max_position_embeddings,
        tie_word_embeddings=False,  # lm_head stays its own module: LoRA can train it alone
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    if (kernel := attention(attn_implementation)) is not None:
        config._attn_implementation = kernel  # from_config's way of choosing the kernel
    return LlamaForCausalLM(config), tokenizer


# Encoder-decoder models (trainer=seq2seq) ----------------------------------------------------


def tiny_t5(
    data,
    *,
    vocab_size: int = 2000,
    d_model: int = 64,
    d_kv: int = 16,
    d_ff: int = 128,
    num_layers: int = 2,
    num_decoder_layers: int | None = None,
    num_heads: int = 4,
    dropout_rate: float = 0.1,
    feed_forward_proj: str = "relu",
    relative_attention_num_buckets: int = 32,
    relative_attention_max_distance: int = 128,
    model_max_length: int = 512,
):
    """A small ``T5ForConditionalGeneration`` (random weights) and a SentencePiece-style BPE
    tokenizer learned from ``data.train_texts()``; nothing is downloaded.

    ``vocab_size`` is an upper bound: a small corpus gives fewer tokens and the embedding
    matrix is sized to the tokenizer. Decoding starts from the pad token (id 0), as in T5, and
    generation stops at ``</s>`` after at most ``data.max_target_length`` tokens.
    """
    from transformers import T5Config, T5ForConditionalGeneration

    if data.kind != Kind.SEQ2SEQ:
        raise ConfigError(
            f"model=tiny_t5 is an encoder-decoder for seq2seq data (trainer=seq2seq); this data "
            f"is {data.kind}. Use model=tiny_bert (classification) or tiny_llama (trainer=sft)."
        )
    tokenizer = train_metaspace_bpe(data.train_texts(), vocab_size, model_max_length)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=d_model,
        d_kv=d_kv,
        d_ff=d_ff,
        num_layers=num_layers,
        num_decoder_layers=num_decoder_layers,
        num_heads=num_heads,
        dropout_rate=dropout_rate,
        feed_forward_proj=feed_forward_proj,
        relative_attention_num_buckets=relative_attention_num_buckets,
        relative_attention_max_distance=relative_attention_max_distance,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    model = T5ForConditionalGeneration(config)
    max_target = data.max_target_length
    if max_target:  # GenerationConfig's default (20) would cut longer targets short
        model.generation_config.max_length = max_target + 1  # + the decoder start token
    return model, tokenizer


def model_class(task: str, data) -> tuple[type, dict]:
    """The Auto class for ``task`` and the keyword arguments that size its head."""
    from transformers import AutoModelForCausalLM

    if task == "auto":
        task = AUTO_TASK[data.kind]
    if task == "causal_lm":
        return AutoModelForCausalLM, {}
    if task == "seq2seq_lm":
        from transformers import AutoModelForSeq2SeqLM

        return AutoModelForSeq2SeqLM, {}
    if task == "sequence_classification":
        return AutoModelForSequenceClassification, data.label_config()
    raise ConfigError(f"model.task={task!r}: choose auto or one of {list(TASKS)}.")


def check_encoder_decoder(name_or_path: str, offline: bool, common: dict) -> None:
    """Seq2seq data needs an encoder-decoder checkpoint (T5, BART, Marian...): said from its
    config, before any weights load."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(name_or_path, local_files_only=offline, **common)
    if not getattr(config, "is_encoder_decoder", False):
        raise ConfigError(
            f"model.name_or_path={name_or_path!r} is a {config.model_type} model without a "
            "decoder of its own (config.is_encoder_decoder is false), and seq2seq data needs an "
            "encoder-decoder (T5, BART, Marian, mBART...). Use one, or train this model on "
            "prompt/completion data with trainer=sft."
        )
