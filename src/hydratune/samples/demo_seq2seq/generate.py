"""Regenerate the demo_seq2seq sample: python src/hydratune/samples/demo_seq2seq/generate.py

English sentences (``source``) and their translation (``target``) into "Lingo", a small
made-up language with a fixed word list and three rules: the verb goes last (subject, object,
verb), adjectives follow their noun, and plurals add ``-j``. Regular enough that a tiny T5
trained from scratch learns it in about a minute on 2 CPU cores (BLEU climbs from near 0),
varied enough (four sentence shapes, optional adjectives and places) that it has to learn the
word list and the reordering, not copy. Seeded: the same files come out every time, and no
eval source occurs in train.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

NOUNS = {  # singular, plural, Lingo (plural: + "j")
    "dog": ("dogs", "vaku"),
    "cat": ("cats", "mirelo"),
    "bird": ("birds", "tsipo"),
    "horse": ("horses", "kavalo"),
    "child": ("children", "nino"),
    "teacher": ("teachers", "mestro"),
    "farmer": ("farmers", "agriko"),
    "doctor": ("doctors", "mediko"),
    "king": ("kings", "rexo"),
    "girl": ("girls", "pula"),
    "boy": ("boys", "puero"),
    "friend": ("friends", "amiko"),
}
VERBS = {  # third person singular, plural, Lingo
    "sees": ("see", "vidas"),
    "likes": ("like", "amas"),
    "follows": ("follow", "sekvas"),
    "helps": ("help", "juvas"),
    "feeds": ("feed", "nutras"),
    "finds": ("find", "trovas"),
    "calls": ("call", "vokas"),
    "watches": ("watch", "gardas"),
}
ADJECTIVES = {
    "big": "grana",
    "small": "pika",
    "red": "ruja",
    "old": "veja",
    "young": "juna",
    "happy": "fela",
    "black": "nigra",
    "white": "blanka",
}
PLACES = {
    "in the garden": "en gardeno",
    "near the river": "apud rivero",
    "at home": "hejme",
    "in the city": "en urbo",
    "on the hill": "sur monto",
}
NUMBERS = {"two": "du", "three": "tri", "four": "kvar", "five": "kvin"}
ARTICLES = {"the": "la", "a": "un"}


def noun_phrase(rng: random.Random, plural: str | None = None) -> tuple[str, str]:
    """("the big dog", "la vaku grana"); with ``plural`` a number word: ("two dogs", "du vakuj")."""
    noun = rng.choice(sorted(NOUNS))
    plural_form, lingo = NOUNS[noun]
    english, target = [], []
    if plural:
        english.append(plural)
        target.append(NUMBERS[plural])
    else:
        article = rng.choice(sorted(ARTICLES))
        english.append(article)
        target.append(ARTICLES[article])
    adjective = rng.choice(sorted(ADJECTIVES)) if rng.random() < 0.4 else None
    if adjective:
        english.append(adjective)
    english.append(plural_form if plural else noun)
    target.append(lingo + ("j" if plural else ""))
    if adjective:
        target.append(ADJECTIVES[adjective])
    return " ".join(english), " ".join(target)


def place(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.3:
        english = rng.choice(sorted(PLACES))
        return f" {english}", f" {PLACES[english]}"
    return "", ""


def sentence(rng: random.Random) -> tuple[str, str]:
    shape = rng.random()
    verb = rng.choice(sorted(VERBS))
    base, lingo_verb = VERBS[verb]
    obj, obj_lingo = noun_phrase(rng)
    where, where_lingo = place(rng)
    if shape < 0.5:  # the big dog sees a cat -> la vaku grana un mirelo vidas
        subject, subject_lingo = noun_phrase(rng)
        english = f"{subject} {verb} {obj}{where}"
        target = f"{subject_lingo} {obj_lingo}{where_lingo} {lingo_verb}"
    elif shape < 0.7:  # the dog does not see a cat -> la vaku un mirelo ne vidas
        subject, subject_lingo = noun_phrase(rng)
        english = f"{subject} does not {base} {obj}{where}"
        target = f"{subject_lingo} {obj_lingo}{where_lingo} ne {lingo_verb}"
    elif shape < 0.9:  # two dogs see a cat -> du vakuj un mirelo vidas
        subject, subject_lingo = noun_phrase(rng, plural=rng.choice(sorted(NUMBERS)))
        english = f"{subject} {base} {obj}{where}"
        target = f"{subject_lingo} {obj_lingo}{where_lingo} {lingo_verb}"
    else:  # the old king is happy -> la rexo veja estas fela
        subject, subject_lingo = noun_phrase(rng)
        adjective = rng.choice(sorted(ADJECTIVES))
        english = f"{subject} is {adjective}{where}"
        target = f"{subject_lingo}{where_lingo} estas {ADJECTIVES[adjective]}"
    return english[0].upper() + english[1:] + ".", target[0].upper() + target[1:] + "."


def main(out: Path | None = None, train_size: int = 500, eval_size: int = 60, seed: int = 0):
    """Write ``train.jsonl`` and ``eval.jsonl`` into ``out`` (default: next to this file)."""
    rng = random.Random(seed)
    pairs: dict[str, str] = {}
    while len(pairs) < train_size + eval_size:  # distinct sources: eval never seen in train
        source, target = sentence(rng)
        pairs.setdefault(source, target)
    rows = [{"source": source, "target": target} for source, target in pairs.items()]
    out = Path(out) if out else Path(__file__).parent
    for name, part in (("train", rows[:train_size]), ("eval", rows[train_size:])):
        lines = "".join(json.dumps(row) + "\n" for row in part)
        (out / f"{name}.jsonl").write_text(lines)


if __name__ == "__main__":
    main()
