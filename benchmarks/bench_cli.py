"""How fast ``vedder`` starts, and that light commands never import heavy modules.

Targets: ``vedder --help`` from a cold process, median under 0.3 s; ``vedder
clusters`` and ``vedder profile`` import neither LiteLLM nor the MCP SDK.

Reproduce: .venv/bin/python benchmarks/bench_cli.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VEDDER = Path(sys.executable).parent / "vedder"
HEAVY = ("litellm", "mcp")
TARGET_S = 0.3

# Runs a command in-process the way the console script does, then reports which
# heavy modules ended up imported.
PROBE = """
import sys
from vedder.cli.app import main
sys.argv = ["vedder", *{args!r}]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
"""


def time_help(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(VEDDER), "--help"], check=True, capture_output=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    return times


def heavy_imports(args: list[str]) -> list[str]:
    code = PROBE.format(args=args, heavy=set(HEAVY))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    line = next((ln for ln in done.stderr.splitlines() if ln.startswith("HEAVY=")), "HEAVY=?")
    return [m for m in line.removeprefix("HEAVY=").split(",") if m]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    subprocess.run(
        [str(VEDDER), "--help"], check=True, capture_output=True, cwd=REPO
    )  # warm the OS cache
    times = time_help(args.runs)
    median = statistics.median(times)
    ok = median < TARGET_S
    print(
        f"vedder --help, cold process: median {median * 1000:.0f} ms over {args.runs} runs "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); "
        f"target < {TARGET_S * 1000:.0f} ms: {'PASS' if ok else 'FAIL'}"
    )
    failures = 0 if ok else 1
    for command in (["--help"], ["clusters"], ["profile", "--help"], ["show", "--help"]):
        heavy = heavy_imports(command)
        status = "PASS" if not heavy else "FAIL"
        failures += bool(heavy)
        imported = ", ".join(heavy) or "none"
        print(f"vedder {' '.join(command)}: heavy modules imported: {imported}: {status}")
    print(f"reproduce: .venv/bin/python benchmarks/bench_cli.py --runs {args.runs}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
