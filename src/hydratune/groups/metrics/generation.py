"""Scores of generated text (``metrics=generation``): BLEU, chrF, ROUGE, from sacrebleu and
rouge-score (the ``evaluate`` library fetches metric scripts from the hub, so it fails offline).
Scoring only: :mod:`hydratune.steps.generate` writes ``generations.jsonl`` and the W&B table."""

from __future__ import annotations

import numpy as np

from hydratune.config.errors import ConfigError

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
DIGITS = 4  # scores are rounded: 100.00000000000004 BLEU reads as 100.0


def generation_scores(
    predictions: list[str], references: list[str], use_stemmer: bool = True
) -> dict[str, float]:
    """Corpus scores of ``predictions`` against one reference each.

    - ``bleu``, ``chrf``: sacrebleu corpus scores, 0-100 (its default 13a tokenization). BLEU
      needs 4-grams: a corpus of sentences shorter than four words scores 0 even when exact.
    - ``rouge1``, ``rouge2``, ``rougeL``, ``rougeLsum``: rouge-score F-measures, 0-1, averaged
      over the examples, with Porter stemming (``use_stemmer``). ``rougeLsum`` splits summaries
      into sentences on newlines (without any, it equals ``rougeL``). rouge-score's tokenizer
      keeps only ASCII letters and digits: scripts without them (Chinese, Cyrillic) score 0.
    - ``gen_len``: mean number of whitespace-separated words in the predictions.
    """
    import sacrebleu
    from rouge_score import rouge_scorer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions for {len(references)} references.")
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
    pairs = [scorer.score(ref, pred) for pred, ref in zip(predictions, references, strict=True)]
    rouge = {key: _mean([pair[key].fmeasure for pair in pairs]) for key in ROUGE_TYPES}
    scores = {
        "bleu": sacrebleu.corpus_bleu(predictions, [references]).score,
        "chrf": sacrebleu.corpus_chrf(predictions, [references]).score,
        **rouge,
        "gen_len": _mean([len(prediction.split()) for prediction in predictions]),
    }
    return {key: round(float(value), DIGITS) for key, value in scores.items()}


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


class GenerationMetrics:
    """Trainer's ``compute_metrics`` for generated token ids (``predict_with_generate=True``).

    Predictions and labels are decoded after -100 (the label padding that the loss ignores,
    and the padding Trainer adds when it joins batches) is replaced by the pad id. ``last``
    keeps the decoded (predictions, references) of the latest call, for ``generations.jsonl``.
    """

    def __init__(self, tokenizer=None, use_stemmer: bool = True):
        self.tokenizer = tokenizer  # set by trainer=seq2seq: the model's tokenizer comes later
        self.use_stemmer = use_stemmer
        self.last: tuple[list[str], list[str], list[str] | None] | None = None

    def __call__(self, eval_pred) -> dict[str, float]:
        generated = self._ids(eval_pred.predictions)
        labels = self._ids(eval_pred.label_ids)
        predictions, references = self.decode(generated), self.decode(labels)
        inputs = getattr(eval_pred, "inputs", None)  # with trainer.args.include_for_metrics
        sources = self.decode(self._ids(inputs)) if inputs is not None else None
        self.last = (predictions, references, sources)
        scores = generation_scores(predictions, references, self.use_stemmer)
        pad = self.tokenizer.pad_token_id  # the decoder start token is pad: not counted
        scores["gen_len"] = round(float(np.count_nonzero(generated != pad, axis=-1).mean()), DIGITS)
        return scores

    def decode(self, ids: np.ndarray) -> list[str]:
        texts = self.tokenizer.batch_decode(ids, skip_special_tokens=True)
        return [text.strip() for text in texts]

    def _ids(self, array) -> np.ndarray:
        array = array[0] if isinstance(array, tuple) else array
        array = np.asarray(array)
        if array.ndim != 2 or not np.issubdtype(array.dtype, np.integer):
            raise ConfigError(
                "metrics=generation scores generated token ids, but evaluation returned "
                f"{array.ndim}-d {array.dtype} values (logits): set "
                "trainer.args.predict_with_generate=true."
            )
        return np.where(array < 0, self.tokenizer.pad_token_id, array)
