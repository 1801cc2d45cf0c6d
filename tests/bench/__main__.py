"""`make bench`: run every benchmark module here (bench_*.py) and print its figures.

Benchmarks measure; they do not assert. Each module has a `main()` that prints what it measured.
Run one alone with `python -m tests.bench NAME` (e.g. `python -m tests.bench inbox`).
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    wanted = set(argv)
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if not names:
        print("no benchmarks yet")
        return
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted:
            continue
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"tests.bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
