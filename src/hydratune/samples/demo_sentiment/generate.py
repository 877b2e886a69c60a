"""Regenerate the demo_sentiment sample from the UCI "Sentiment Labelled Sentences" files.

    python src/hydratune/samples/demo_sentiment/generate.py "path/to/sentiment labelled sentences"

The directory is the unzipped UCI archive (dataset 331): amazon_cells_labelled.txt,
imdb_labelled.txt and yelp_labelled.txt, 1,000 lines each (``sentence<TAB>0|1``), 500 negative
and 500 positive per site. Output: train.csv (2,400 rows) and eval.csv (600 rows) next to this
file, columns ``text,label`` with label ``negative``/``positive``.

The split is seeded and stratified: 100 rows of every (site, label) cell go to eval, so eval is
balanced (300/300, 200 per site) and so is train (1,200/1,200, 800 per site). Eval rows are
drawn only from sentences that occur once in the corpus (case-insensitive), so no eval sentence
is also in train; the 19 repeated sentences (40 rows) all stay in train. Changes to the text:
trailing spaces stripped (every imdb line has two), and the Windows-1252 bytes that the imdb
file holds as C1 control characters are mapped back to what they stand for: U+0085 -> "…",
U+0096 -> "–", U+0097 -> "—" (8 characters in 8 sentences). Nothing else changes. Same
files every time.
"""

from __future__ import annotations

import collections
import csv
import random
import sys
from pathlib import Path

SITES = {
    "amazon": "amazon_cells_labelled.txt",
    "imdb": "imdb_labelled.txt",
    "yelp": "yelp_labelled.txt",
}
LABELS = {"0": "negative", "1": "positive"}
C1_FIXES = str.maketrans({"\x85": "\u2026", "\x96": "\u2013", "\x97": "\u2014"})
EVAL_PER_CELL = 100  # per (site, label): 6 cells x 100 = 600 eval rows
SEED = 0


def read_site(path: Path) -> list[tuple[str, str]]:
    # Split on "\n" only: imdb holds U+0085, which str.splitlines() treats as a line break.
    # Quotes are not special (some imdb lines hold unbalanced ones), so no csv reader here.
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = []
    for line in lines:
        sentence, label = line.rsplit("\t", 1)
        rows.append((sentence.rstrip(" ").translate(C1_FIXES), LABELS[label.strip()]))
    return rows


def main(source_dir: str) -> None:
    cells: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for site, name in SITES.items():
        for sentence, label in read_site(Path(source_dir) / name):
            cells[site, label].append(sentence)
    counts = collections.Counter(s.lower() for texts in cells.values() for s in texts)
    rng = random.Random(SEED)
    train, eval_ = [], []
    for key in sorted(cells):
        texts = cells[key]
        unique = [i for i, s in enumerate(texts) if counts[s.lower()] == 1]
        held = set(rng.sample(unique, EVAL_PER_CELL))
        eval_ += [(s, key[1]) for i, s in enumerate(texts) if i in held]
        train += [(s, key[1]) for i, s in enumerate(texts) if i not in held]
    rng.shuffle(train)
    rng.shuffle(eval_)
    out = Path(__file__).resolve().parent
    for name, rows in (("train.csv", train), ("eval.csv", eval_)):
        with open(out / name, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")  # QUOTE_MINIMAL: quotes only if needed
            writer.writerow(["text", "label"])
            writer.writerows(rows)
        print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
