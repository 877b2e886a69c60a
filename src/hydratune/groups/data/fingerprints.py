"""Cheap, exact cache keys for the transforms datasets would otherwise key by pickling.

datasets names the cache file of ``map`` / ``add_column`` after a hash of every input: the
function with everything it closes over (the whole tokenizer, dill-pickled: ~0.15 s per split
for MiniLM's) and every value added (SST-2's 67k labels: ~0.15 s). On a cache hit that hashing
was most of the preprocessing time. These keys hash the same facts in their compact form: the
parent split's fingerprint, the tokenizer's serialized JSON, the settings and the source code of
the module that computes the rows, so any change to one of them is still a new key.
"""

from __future__ import annotations

import inspect

from datasets.fingerprint import Hasher


def tokenizer_identity(tokenizer) -> str | None:
    """A hash of all that decides a fast tokenizer's output; None for a slow one (datasets'
    own hashing then)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if not getattr(tokenizer, "is_fast", False) or backend is None:
        return None
    facts = (
        type(tokenizer).__qualname__,
        backend.to_str(),  # vocabulary, normalizer, pre-tokenizer, post-processor, added tokens
        list(tokenizer.model_input_names),
        tokenizer.padding_side,
        tokenizer.truncation_side,
        str(tokenizer.special_tokens_map),
        tokenizer.model_max_length,
    )
    return Hasher.hash(facts)


def derived(parent: str, function, *settings) -> str:
    """The key of a transform of the split with fingerprint ``parent`` by ``function`` with
    ``settings``. The source of the module that defines ``function`` counts too, so editing
    it (or the helpers beside it) is a new key."""
    return Hasher.hash((parent, inspect.getsource(inspect.getmodule(function)), settings))
