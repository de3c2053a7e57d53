"""Writes SIZE_MB of plain English-like text (fixed seed): as a .txt file, or with --json as a JSON upload body holding
it as one document. Used by run-ingest-memory.sh and run-upload-memory.sh."""
import json
import random
import sys

size_mb, out = int(sys.argv[1]), sys.argv[2]
random.seed(7)
words = "pump valve turbine inspection schedule pressure sensor reading maintenance report engineer shift plant".split()
parts, size = [], 0
while size < size_mb * 1024 * 1024:
    sentence = " ".join(random.choice(words) for _ in range(12)) + ". "
    if random.random() < 0.05:
        sentence += "\n\n"
    parts.append(sentence)
    size += len(sentence)
with open(out, "w") as f:
    if "--json" in sys.argv:
        json.dump({"documents": [{"id": "big.txt", "text": "".join(parts)}]}, f)
    else:
        f.write("".join(parts))
