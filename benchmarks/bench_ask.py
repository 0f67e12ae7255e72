"""How fast ``vedder ask`` answers offline on the demo.

Targets: median under 1 s per question for ``vedder ask`` as a fresh process
(start-up included), and under 100 ms per question in a batch through the
Python API once the project is loaded.

Each process asks as an analyst would: the demo project, its cluster cache
already written by an earlier command, and the run recorded in a conversation
log (a temporary one, so the demo's log stays clean). The package's bytecode is
compiled first, as ``pip install`` does; an editable checkout otherwise
compiles every module on each start when PYTHONDONTWRITEBYTECODE is set.

Reproduce: .venv/bin/python benchmarks/bench_ask.py [--process-runs 10]
(needs the demo warehouse: make warehouse)
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "examples" / "questions"
VEDDER = Path(sys.executable).parent / "vedder"


def questions() -> list[str]:
    items = []
    for path in sorted(QUESTIONS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(json.loads(line)["question"])
    return items


def process_times(asked: list[str]) -> list[float]:
    compileall.compile_dir(REPO / "vedder", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp, "vedder.yaml")
        text = (REPO / "vedder.yaml").read_text(encoding="utf-8")
        config.write_text(
            text.replace("clusters: clusters", f"clusters: {REPO / 'clusters'}")
            .replace("duckdb:///examples", f"duckdb:///{REPO}/examples")
            .replace("log: .vedder/log.db", f"log: {tmp}/log.db"),
            encoding="utf-8",
        )
        # A project's files are not written the moment before it is asked about:
        # caches ignore files modified within the last seconds.
        an_hour_ago = time.time() - 3600
        os.utime(config, (an_hour_ago, an_hour_ago))
        env = {**os.environ, "VEDDER_CONFIG": str(config)}

        def ask(question: str) -> float:
            start = time.perf_counter()
            done = subprocess.run(
                [str(VEDDER), "ask", question, "--json"],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.perf_counter() - start
            if done.returncode not in (0, 1):  # 1: not covered, a normal outcome
                raise SystemExit(f"vedder ask failed:\n{done.stdout}{done.stderr}")
            return elapsed

        ask(asked[0])  # writes the cluster cache and creates the log, as a first command would
        return [ask(question) for question in asked]


def batch_times(asked: list[str]) -> tuple[float, list[float]]:
    from vedder.ask import Session
    from vedder.cluster.load import load_project
    from vedder.config import load_config

    start = time.perf_counter()
    config = load_config(cwd=REPO)
    session = Session.open(config, load_project(config), model="offline", log=False)
    session.index  # noqa: B018 - build the routing index as part of loading
    load_s = time.perf_counter() - start
    times = []
    with session:
        for question in asked:
            start = time.perf_counter()
            session.ask(question)
            times.append(time.perf_counter() - start)
    return load_s, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--process-runs", type=int, default=10)
    args = parser.parse_args()
    asked = questions()
    if not (REPO / "examples/warehouse/streaming.duckdb").exists():
        print("the demo warehouse is missing: run `make warehouse` first")
        return 2

    proc = process_times(asked[: args.process_runs])
    proc_median = statistics.median(proc)
    load_s, batch = batch_times(asked)
    batch_mean = statistics.fmean(batch)
    ok_proc, ok_batch = proc_median < 1.0, batch_mean < 0.1
    print(
        f"vedder ask (offline, new process, --json): median {proc_median * 1000:.0f} ms over "
        f"{len(proc)} questions (min {min(proc) * 1000:.0f}, max {max(proc) * 1000:.0f}); "
        "target < 1000 ms: "
        f"{'PASS' if ok_proc else 'FAIL'}"
    )
    print(
        f"Session.ask batch over {len(batch)} questions: mean {batch_mean * 1000:.1f} ms, "
        f"median {statistics.median(batch) * 1000:.1f} ms, max {max(batch) * 1000:.0f} ms "
        f"(after loading the project and index in {load_s * 1000:.0f} ms); target < 100 ms: "
        f"{'PASS' if ok_batch else 'FAIL'}"
    )
    print(f"reproduce: .venv/bin/python benchmarks/bench_ask.py --process-runs {args.process_runs}")
    return 0 if ok_proc and ok_batch else 1


if __name__ == "__main__":
    sys.exit(main())
