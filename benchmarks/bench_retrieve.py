"""How fast routing and context selection are on a large repository, and whether budgets hold.

    python benchmarks/bench_retrieve.py [--clusters 200 --datasets 10000 --pairs 10000
                                         --docs 1000 --profiles 2000 --budget 6000]

Generates the synthetic monorepo (``benchmarks/make_monorepo.py``) in a temporary
folder, loads it, builds the index (timed), then routes a fixed set of questions
and selects context for the best cluster of each (timed per question). Prints the
figures, whether every context stayed within its token budget, and the command
to reproduce. Targets: index build a few seconds at most; routing + context
under 100 ms per question.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import make_monorepo  # noqa: E402

from vedder.cluster.load import load_project  # noqa: E402
from vedder.config import load_config  # noqa: E402
from vedder.retrieve import Index  # noqa: E402

QUESTIONS = [
    "How many listeners streamed a podcast in Sweden last week?",
    "Daily revenue in EUR by country for premium users",
    "Which campaigns had the most clicks and impressions?",
    "Refund amount per currency for cancelled subscriptions",
    "How many sessions on ios versus android?",
    "Top 10 episodes by milliseconds played in Norway",
    "What is the weather in Paris tomorrow?",
    "Average ticket count by status for support",
    "Share of paid users per age bucket in Brazil",
    "Most followed shows among listeners in Japan",
    "Weekly signups from the search surface",
    "Who won the football world cup in 2018?",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=200)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=1_000)
    parser.add_argument("--profiles", type=int, default=2_000)
    parser.add_argument("--budget", type=int, default=6_000)
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked")
    args = parser.parse_args(argv)
    command = (
        f"python benchmarks/bench_retrieve.py --clusters {args.clusters} "
        f"--datasets {args.datasets} --pairs {args.pairs} --docs {args.docs} "
        f"--profiles {args.profiles} --budget {args.budget}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "monorepo"
        started = time.perf_counter()
        make_monorepo.generate(
            root,
            clusters=args.clusters,
            datasets=args.datasets,
            pairs=args.pairs,
            docs=args.docs,
            profiles=args.profiles,
        )
        generated = time.perf_counter() - started
        started = time.perf_counter()
        project = load_project(load_config(root / "vedder.yaml"), use_cache=False)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        index = Index.build(project)
        built = time.perf_counter() - started

        route_ms: list[float] = []
        context_ms: list[float] = []
        over_budget = 0
        covered = 0
        biggest = 0
        for _ in range(args.rounds):
            for question in QUESTIONS:
                started = time.perf_counter()
                routes = index.route(question)
                route_ms.append((time.perf_counter() - started) * 1000)
                target = next((r.cluster for r in routes if r.covered), None)
                covered += target is not None
                started = time.perf_counter()
                context = index.context(
                    question, target or routes[0].cluster, budget_tokens=args.budget
                )
                context_ms.append((time.perf_counter() - started) * 1000)
                tokens = context.tokens
                biggest = max(biggest, tokens)
                over_budget += tokens > args.budget

    def p95(values: list[float]) -> float:
        return sorted(values)[max(int(len(values) * 0.95) - 1, 0)]

    total = [r + c for r, c in zip(route_ms, context_ms, strict=True)]
    print(
        f"monorepo: {len(project.clusters)} clusters, "
        f"{sum(len(c.datasets) for c in project.clusters.values())} datasets, "
        f"{sum(len(c.pairs) for c in project.clusters.values())} pairs, "
        f"{sum(len(c.docs) for c in project.clusters.values())} docs, "
        f"{sum(len(c.profiles) for c in project.clusters.values())} profiles "
        f"(generated in {generated:.1f} s, loaded in {loaded:.1f} s)"
    )
    print(
        f"index build:        {built * 1000:8.0f} ms  ({index.size} items; target: a few seconds)"
    )
    print(
        f"route:              {statistics.median(route_ms):8.1f} ms median, "
        f"{p95(route_ms):.1f} ms p95"
    )
    print(
        f"context:            {statistics.median(context_ms):8.1f} ms median, "
        f"{p95(context_ms):.1f} ms p95"
    )
    print(
        f"route + context:    {statistics.median(total):8.1f} ms median, "
        f"{p95(total):.1f} ms p95 (target < 100 ms)"
    )
    print(
        f"budget:             {'within budget' if not over_budget else 'OVER BUDGET'} "
        f"({over_budget} of {len(context_ms)} contexts over {args.budget} tokens; "
        f"largest {biggest})"
    )
    print(f"covered questions:  {covered} of {len(route_ms)} routed to a covering cluster")
    print(f"reproduce: {command}")
    return 1 if over_budget else 0


if __name__ == "__main__":
    sys.exit(main())
