"""Regenerate the demo_chat sample: python src/hydratune/samples/demo_chat/generate.py

Short conversations (``messages`` lists of role/content turns) written from small hand-made
fact tables: regular enough that a 2-layer model learns them in a minute, varied enough (system
prompts, greetings, follow-up questions) to exercise chat templates and assistant-only loss.
Seeded: the same files come out every time.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CAPITALS = {
    "France": "Paris",
    "Germany": "Berlin",
    "Italy": "Rome",
    "Spain": "Madrid",
    "Portugal": "Lisbon",
    "Japan": "Tokyo",
    "Canada": "Ottawa",
    "Egypt": "Cairo",
    "Kenya": "Nairobi",
    "Peru": "Lima",
    "Norway": "Oslo",
    "Greece": "Athens",
    "Ireland": "Dublin",
    "Poland": "Warsaw",
    "Austria": "Vienna",
    "Chile": "Santiago",
}
OPPOSITES = {
    "hot": "cold",
    "big": "small",
    "fast": "slow",
    "happy": "sad",
    "up": "down",
    "light": "dark",
    "early": "late",
    "full": "empty",
    "open": "closed",
    "young": "old",
    "strong": "weak",
    "high": "low",
    "wet": "dry",
    "loud": "quiet",
    "hard": "soft",
}
SOUNDS = {
    "cow": "moo",
    "dog": "woof",
    "cat": "meow",
    "duck": "quack",
    "sheep": "baa",
    "owl": "hoot",
    "pig": "oink",
    "horse": "neigh",
    "frog": "croak",
    "lion": "roar",
}
PLURALS = {
    "mouse": "mice",
    "child": "children",
    "foot": "feet",
    "tooth": "teeth",
    "man": "men",
    "woman": "women",
    "goose": "geese",
    "person": "people",
    "leaf": "leaves",
    "knife": "knives",
    "box": "boxes",
    "city": "cities",
}
COLORS = {
    "the sky on a clear day": "blue",
    "grass": "green",
    "snow": "white",
    "a ripe banana": "yellow",
    "coal": "black",
    "a ripe tomato": "red",
    "an orange": "orange",
    "a lemon": "yellow",
}
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WORDS = ["apple", "river", "garden", "pencil", "window", "cloud", "music", "planet", "bread"]
SYSTEMS = [
    "You are a helpful assistant.",
    "You are a friendly assistant. Answer in one sentence.",
    "Answer briefly and clearly.",
]
GREETINGS = [
    ("Hello!", "Hello! How can I help you today?"),
    ("Hi there.", "Hi! What would you like to know?"),
    ("Good morning!", "Good morning! How can I help?"),
]
THANKS = [
    ("Thanks!", "You are welcome!"),
    ("Thank you.", "Glad I could help."),
]


def questions(rng: random.Random) -> list[tuple[str, str]]:
    pairs = []
    for country, city in CAPITALS.items():
        ask = rng.choice(["What is the capital of {}?", "Which city is the capital of {}?"])
        pairs.append((ask.format(country), f"The capital of {country} is {city}."))
    for word, opposite in OPPOSITES.items():
        ask = rng.choice(["What is the opposite of {}?", "Give me the opposite of {}."])
        pairs.append((ask.format(word), f"The opposite of {word} is {opposite}."))
    for animal, sound in SOUNDS.items():
        pairs.append((f"What sound does a {animal} make?", f"A {animal} says {sound}."))
    for word, plural in PLURALS.items():
        pairs.append((f"What is the plural of {word}?", f"The plural of {word} is {plural}."))
    for thing, color in COLORS.items():
        pairs.append((f"What color is {thing}?", f"{thing[0].upper()}{thing[1:]} is {color}."))
    for i, day in enumerate(DAYS):
        nxt = DAYS[(i + 1) % 7]
        pairs.append((f"What day comes after {day}?", f"{nxt} comes after {day}."))
    for word in WORDS:
        pairs.append(
            (
                f"How many letters are in the word {word}?",
                f"The word {word} has {len(word)} letters.",
            )
        )
    for _ in range(40):
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        pairs.append((f"What is {a} plus {b}?", f"{a} plus {b} is {a + b}."))
    for hours in range(1, 7):
        pairs.append(
            (
                f"How many minutes are in {hours} hours?",
                f"There are {60 * hours} minutes in {hours} hours.",
            )
        )
    return pairs


def conversation(rng: random.Random, pairs: list[tuple[str, str]]) -> dict:
    messages = []
    if rng.random() < 0.3:
        messages.append({"role": "system", "content": rng.choice(SYSTEMS)})
    if rng.random() < 0.25:
        hello, reply = rng.choice(GREETINGS)
        messages += [{"role": "user", "content": hello}, {"role": "assistant", "content": reply}]
    for question, answer in rng.sample(pairs, 2 if rng.random() < 0.3 else 1):
        messages += [
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    if rng.random() < 0.15:
        thanks, reply = rng.choice(THANKS)
        messages += [{"role": "user", "content": thanks}, {"role": "assistant", "content": reply}]
    return {"messages": messages}


def main(train_size: int = 240, eval_size: int = 40, seed: int = 0) -> None:
    rng = random.Random(seed)
    pairs = questions(rng)
    rows = [conversation(rng, pairs) for _ in range(train_size + eval_size)]
    here = Path(__file__).parent
    for name, part in (("train", rows[:train_size]), ("eval", rows[train_size:])):
        lines = "".join(json.dumps(row) + "\n" for row in part)
        (here / f"{name}.jsonl").write_text(lines)


if __name__ == "__main__":
    main()
