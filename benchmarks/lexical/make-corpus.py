"""Writes a synthetic BEIR corpus.jsonl (fixed seed) for the lexical start-up benchmark: DOCUMENTS documents of
WORDS words each, drawn from a Zipf-like distribution over VOCABULARY made-up words, so term statistics look like
text (a few very common terms, a long tail). Also writes queries.txt: 20 queries of 3-6 words from the same law.
Usage: make-corpus.py DOCUMENTS WORDS OUT_DIR [VOCABULARY]"""
import bisect
import itertools
import json
import os
import random
import sys

documents, words_per_document, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
vocabulary_size = int(sys.argv[4]) if len(sys.argv) > 4 else 200_000
random.seed(11)
syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
vocabulary, seen = [], set()
while len(vocabulary) < vocabulary_size:
    word = "".join(random.choice(syllables) for _ in range(random.randint(2, 4)))
    if word not in seen:
        seen.add(word)
        vocabulary.append(word)
cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(vocabulary_size)))
total = cumulative[-1]


def draw(count):
    return [vocabulary[min(bisect.bisect(cumulative, random.random() * total), vocabulary_size - 1)] for _ in range(count)]


os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "corpus.jsonl"), "w") as f:
    for d in range(documents):
        f.write(json.dumps({"_id": f"doc{d}", "title": "", "text": " ".join(draw(words_per_document))}) + "\n")
with open(os.path.join(out, "queries.txt"), "w") as f:
    for _ in range(20):
        f.write(" ".join(draw(random.randint(3, 6))) + "\n")
