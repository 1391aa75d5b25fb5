"""The one line of JSON each benchmark prints last, which `python -m benchmarks` collects.

A benchmark keeps printing its own table and rewriting its own section of
docs/benchmarks.md; at the end it also prints

    BENCHMARK-SUMMARY {"benchmark": "imports", "figures": [{...}, ...]}

where each figure is a `figure()` dict: what was measured, our value, the floor's value in
the same unit, the ratio, the unit, the target (text, or None) and whether it is met (None
when there is no target). The ratio is always **ours ÷ floor in cost** — time over time, or
the floor's rate over ours — so above 1 means slower than the floor, whatever the unit. The
collector runs each benchmark as a subprocess (each builds its own app) and reads this line
rather than importing the modules, so one benchmark's state cannot leak into the next.
"""
from __future__ import annotations

import json

PREFIX = "BENCHMARK-SUMMARY "
RATES = ("/s",)


def figure(name: str, value: float, floor: float | None, unit: str, *, target: str | None = None,
           ok: bool | None = None) -> dict:
    """One summary row. `unit` ending in "/s" is a rate (higher is better): the ratio is then
    floor ÷ value, so every ratio reads as "times the floor's cost"."""
    ratio = None
    if floor:
        ratio = floor / value if unit.endswith(RATES) else value / floor
    return {"figure": name, "value": value, "floor": floor, "ratio": ratio, "unit": unit, "target": target,
            "ok": ok}


def emit(benchmark: str, figures: list[dict]) -> None:
    print(PREFIX + json.dumps({"benchmark": benchmark, "figures": figures}, ensure_ascii=False), flush=True)


def parse(output: str) -> dict | None:
    """The last summary line in a benchmark's output, or None when it printed none."""
    found = None
    for line in output.splitlines():
        if line.startswith(PREFIX):
            found = json.loads(line[len(PREFIX):])
    return found
