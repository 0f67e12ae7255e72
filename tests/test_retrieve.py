"""Routing questions to clusters and selecting context within a token budget."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vedder.cluster.load import load_project
from vedder.cluster.model import Doc, Project
from vedder.config import load_config
from vedder.retrieve import Index, estimate_tokens, find_countries, split_sections, stem, terms

REPO = Path(__file__).resolve().parent.parent
OFFLINE_PROJECT = Path(__file__).resolve().parent / "fixtures" / "offline" / "project"


@pytest.fixture(scope="module")
def demo() -> tuple[Project, Index]:
    config = load_config(REPO / "vedder.yaml")
    project = load_project(config, use_cache=False)
    assert project.clusters, "the demo clusters are missing"
    return project, Index.build(project)


@pytest.fixture(scope="module")
def small() -> tuple[Project, Index]:
    project = load_project(load_config(OFFLINE_PROJECT / "vedder.yaml"), use_cache=False)
    return project, Index.build(project)


@pytest.mark.parametrize(
    ("question", "cluster"),
    [
        ("How many podcast episodes were published last month?", "podcasts"),
        ("Which shows gained the most followers?", "podcasts"),
        ("What was monthly recurring revenue in 2025?", "subscriptions"),
        ("How many subscriptions were cancelled?", "subscriptions"),
        ("Top artists by streams in 2025", "listening"),
        ("How many tracks were skipped?", "listening"),
    ],
)
def test_routes_topic_words_to_the_demo_cluster(
    demo: tuple[Project, Index], question: str, cluster: str
) -> None:
    _, index = demo
    routes = index.route(question)
    assert routes[0].cluster == cluster and routes[0].covered, routes


@pytest.mark.parametrize(
    "question",
    [
        "What is the average salary of our data engineers?",
        "What will the weather be in Paris tomorrow?",
        "Who won the football world cup in 2018?",
        "How do I reset my email password?",
    ],
)
def test_unrelated_questions_are_not_covered(demo: tuple[Project, Index], question: str) -> None:
    _, index = demo
    assert not any(r.covered for r in index.route(question))


def test_routes_by_column_synonyms(small: tuple[Project, Index]) -> None:
    _, index = small
    # "tier" is only a synonym of subscriptions.plan
    routes = index.route("How many subscribers per tier?")
    assert routes[0].cluster == "subscriptions" and routes[0].covered


def test_routes_by_profiled_values_and_country_names(small: tuple[Project, Index]) -> None:
    _, index = small
    # "premium" is a profiled value; "Norway" is the name of the profiled value 'NO'.
    routes = index.route("premium in Norway")
    assert routes[0].cluster == "subscriptions" and routes[0].covered
    assert "no" in routes[0].matched and "premium" in routes[0].matched


def test_coverage_is_a_share_between_zero_and_one(small: tuple[Project, Index]) -> None:
    _, index = small
    for route in index.route("How many people listened to podcasts in Sweden?", limit=5):
        assert 0.0 <= route.coverage <= 1.0 and 0.0 <= route.score <= 1.0


def test_threshold_is_configurable(small: tuple[Project, Index]) -> None:
    project, _ = small
    strict = Index.build(project, threshold=1.01)
    assert not any(r.covered for r in strict.route("How many premium subscribers?"))


def test_context_holds_pairs_datasets_docs_and_warnings(small: tuple[Project, Index]) -> None:
    _, index = small
    context = index.context("How many premium subscribers in Sweden?", "subscriptions")
    assert context.pairs[0].pair.slug == "premium_subscribers_in_country"
    assert context.pairs[0].score >= context.pairs[-1].score
    assert [d.name for d in context.datasets] == ["subscriptions"]
    columns = {c.name: c for c in context.datasets[0].columns}
    assert "SE" in columns["country_code"].common_values
    assert columns["country_legacy"].avoid
    text = context.render()
    assert "AVOID: Filled only before 2024" in text
    assert "premium" in text and "plans.md" in text
    assert context.tokens == estimate_tokens(text) <= context.budget_tokens


def test_context_of_unknown_cluster_is_an_error(small: tuple[Project, Index]) -> None:
    _, index = small
    with pytest.raises(KeyError):
        index.context("anything", "nope")


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Index]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import make_monorepo

    root = tmp_path_factory.mktemp("monorepo") / "repo"
    make_monorepo.generate(
        root, clusters=4, datasets=120, columns=80, pairs=200, docs=40, profiles=60
    )
    project = load_project(load_config(root / "vedder.yaml"), use_cache=False, workers=1)
    return project, Index.build(project)


@pytest.mark.parametrize("budget", [300, 1500, 6000])
def test_context_stays_within_budget_on_a_large_project(
    large: tuple[Project, Index], budget: int
) -> None:
    project, index = large
    questions = [
        "How many listeners by country in SE last week?",
        "revenue eur by platform for paid users",
        "daily clicks and impressions per campaign",
    ]
    for question in questions:
        for cluster in project.clusters:
            context = index.context(question, cluster, budget_tokens=budget)
            assert context.tokens <= budget
            if budget >= 1500:
                assert context.pairs and context.datasets


def test_large_datasets_are_cut_to_their_relevant_columns(large: tuple[Project, Index]) -> None:
    project, index = large
    cluster = next(iter(project.clusters))
    context = index.context("revenue_eur by country", cluster, budget_tokens=1500)
    cut = [d for d in context.datasets if d.omitted_columns]
    assert cut, "80-column datasets cannot fit whole in 1500 tokens"
    assert any("revenue_eur" in {c.name for c in d.columns} for d in context.datasets)


# ------------------------------------------------------------------ the text toolkit


def test_terms_meet_across_forms() -> None:
    assert terms("ratings")[0] == terms("rated")[0] == terms("rating")[0]
    assert terms("cities") == terms("city")
    assert terms("sbCustName") == ["sb", "cust", "nam"]
    assert terms("check-ins")[-1] == terms("checkins")[0]
    assert stem("speed") == "speed"


def test_countries_by_name() -> None:
    assert find_countries("premium users in the United States and Sweden") == [
        ("united states", "US"),
        ("sweden", "SE"),
    ]
    assert find_countries("tell us what is in it") == []


def test_docs_split_at_headings_outside_code() -> None:
    doc = Doc(
        name="d",
        path="docs/d.md",
        body="Intro\n# Title\nText\n```\n# not a heading\n```\n## Sub\nMore\n",
    )
    sections = split_sections(doc)
    assert [s.heading for s in sections] == ["", "Title", "Title > Sub"]
    assert "# not a heading" in sections[1].text
