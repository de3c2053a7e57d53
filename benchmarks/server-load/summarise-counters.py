"""Summarises a dotnet-counters CSV (System.Runtime, 5 s interval) into one line per interval: where a latency tail's
time goes (JIT, GC pauses, thread-pool queueing, CPU). Usage: summarise-counters.py counters.csv"""
import collections
import csv
import sys

COLUMNS = [
    ("jit methods", "dotnet.jit.compiled_methods ({method} / 5 sec)", "{:.0f}"),
    ("jit s", "dotnet.jit.compilation.time (s / 5 sec)", "{:.2f}"),
    ("gc pause s", "dotnet.gc.pause.time (s / 5 sec)", "{:.3f}"),
    ("gen0", "dotnet.gc.collections ({collection} / 5 sec)[gc.heap.generation=gen0]", "{:.0f}"),
    ("gen1", "dotnet.gc.collections ({collection} / 5 sec)[gc.heap.generation=gen1]", "{:.0f}"),
    ("gen2", "dotnet.gc.collections ({collection} / 5 sec)[gc.heap.generation=gen2]", "{:.0f}"),
    ("cpu user s", "dotnet.process.cpu.time (s / 5 sec)[cpu.mode=user]", "{:.2f}"),
    ("pool threads", "dotnet.thread_pool.thread.count ({thread})", "{:.0f}"),
    ("pool queue", "dotnet.thread_pool.queue.length ({work_item})", "{:.0f}"),
    ("lock contentions", "dotnet.monitor.lock_contentions ({contention} / 5 sec)", "{:.0f}"),
]


def main():
    rows = collections.OrderedDict()
    with open(sys.argv[1], newline="") as file:
        for record in csv.DictReader(file):
            rows.setdefault(record["Timestamp"], {})[record["Counter Name"]] = float(record["Mean/Increment"])
    print("| time | " + " | ".join(name for name, _, _ in COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for timestamp, values in rows.items():
        cells = [fmt.format(values[key]) if key in values else "-" for _, key, fmt in COLUMNS]
        print(f"| {timestamp.split(' ')[-1]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
