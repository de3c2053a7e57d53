#!/usr/bin/env python3
"""Folds a dotnet-trace speedscope file (thread-time profile) into inclusive shares of busy time per frame.

Usage: fold-speedscope.py TRACE.speedscope.json [PATTERN|PATTERN...]
Time a thread spends blocked (a leaf in unmanaged code under a wait, sleep, semaphore or socket frame) is not busy
time and is left out; every other sample counts once for each distinct frame on its stack.
"""
import collections
import json
import sys

WAITS = ("Wait", "Sleep", "Semaphore", "Monitor", "epoll", "Thread.Join", "Socket")


def fold(path):
    data = json.load(open(path))
    frames = [f["name"] for f in data["shared"]["frames"]]
    inclusive = collections.Counter()
    busy = 0.0
    for profile in data["profiles"]:
        stack, last = [], None
        for event in profile["events"]:
            at = event["at"]
            if last is not None and stack:
                names = [frames[i] for i in stack]
                waiting = names[-1] == "UNMANAGED_CODE_TIME" and any(w in n for n in names[-6:] for w in WAITS)
                if not waiting:
                    busy += at - last
                    for name in set(names):
                        inclusive[name] += at - last
            last = at
            if event["type"] == "O":
                stack.append(event["frame"])
            else:
                stack.pop()
    return busy, inclusive


def main():
    busy, inclusive = fold(sys.argv[1])
    patterns = (sys.argv[2] if len(sys.argv) > 2 else "Sift").split("|")
    print(f"busy {busy / 1000:.1f} s")
    for name, ms in inclusive.most_common():
        if any(p in name for p in patterns):
            print(f"{100 * ms / busy:5.1f}%  {name[:150]}")


if __name__ == "__main__":
    main()
