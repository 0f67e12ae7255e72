"""Generate the demo warehouse of Nordtone, a music and podcast streaming service.

    python examples/warehouse/generate.py [--out examples/warehouse/streaming.duckdb] [--scale 1.0]

Everything is built inside DuckDB with SQL over ``range()``. Randomness comes from ``hash()`` of a
row number and a salt, never from ``random()``: the result depends only on the inputs, not on the
number of threads or on the order rows are processed in, so two runs give the same data (the
summary prints a checksum per table to prove it). Only the few thousand artist and show names come
from Python, with a seeded generator. Events span 2024-01-01 .. 2026-11-20; nothing depends on
the day the script runs.

The data carries the gotchas the cluster docs explain: user ids below 100 are internal test
accounts that stream and pay like heavy users, money is in cents, plays under 30 seconds are not
streams, ``users.country_legacy`` and ``streams.ms_played_legacy`` are kept for history only,
``users.is_deleted`` is a soft delete, and timestamps are UTC.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "streaming.duckdb"

WINDOW_START = date(2024, 1, 1)
WINDOW_END = date(2026, 11, 20)
COMPANY_LAUNCH = date(2015, 3, 1)
SEED = 20261120

# Base sizes at --scale 1.0. The catalogue (artists, albums, tracks, shows) does not scale.
N_USERS = 60_000
N_STREAM_CANDIDATES = 1_950_000
N_PODCAST_CANDIDATES = 640_000
N_FOLLOW_CANDIDATES = 70_000
N_ARTISTS = 4_000
N_ALBUMS = 12_000
N_SHOWS = 600
TEST_ACCOUNT_SHARE = 0.05  # share of plays that come from the internal test accounts (ids 1-99)

MEA = "Middle East & Africa"

# fmt: off
# code, name, region, currency, UTC offset (standard time), price index, launched, weight,
# share of users who ever pay, taste profile, podcast language
COUNTRIES: list[tuple[str, str, str, str, float, float, str, int, float, str, str]] = [
    ("SE", "Sweden", "Europe", "SEK", 1.0, 1.00, "2015-03-01", 50, 0.60, "europe", "sv"),
    ("NO", "Norway", "Europe", "NOK", 1.0, 1.10, "2015-03-01", 10, 0.60, "europe", "en"),
    ("DK", "Denmark", "Europe", "DKK", 1.0, 1.05, "2015-03-01", 9, 0.58, "europe", "en"),
    ("FI", "Finland", "Europe", "EUR", 2.0, 0.95, "2015-03-01", 8, 0.55, "europe", "en"),
    ("GB", "United Kingdom", "Europe", "GBP", 0.0, 1.00, "2016-02-01", 70, 0.48, "europe", "en"),
    ("DE", "Germany", "Europe", "EUR", 1.0, 0.95, "2016-02-01", 60, 0.45, "europe", "de"),
    ("NL", "Netherlands", "Europe", "EUR", 1.0, 0.95, "2016-02-01", 20, 0.47, "europe", "en"),
    ("FR", "France", "Europe", "EUR", 1.0, 0.95, "2016-02-01", 40, 0.40, "europe", "fr"),
    ("ES", "Spain", "Europe", "EUR", 1.0, 0.90, "2016-02-01", 40, 0.38, "latam", "es"),
    ("IT", "Italy", "Europe", "EUR", 1.0, 0.90, "2016-02-01", 25, 0.36, "europe", "en"),
    ("IE", "Ireland", "Europe", "EUR", 0.0, 0.95, "2016-02-01", 6, 0.46, "europe", "en"),
    ("PT", "Portugal", "Europe", "EUR", 0.0, 0.75, "2016-02-01", 8, 0.33, "europe", "pt"),
    ("AT", "Austria", "Europe", "EUR", 1.0, 0.95, "2016-02-01", 7, 0.44, "europe", "de"),
    ("PL", "Poland", "Europe", "PLN", 1.0, 0.55, "2017-03-01", 15, 0.30, "europe", "en"),
    ("US", "United States", "North America", "USD", -5.0, 1.0, "2016-09-01", 170, 0.45, "us", "en"),
    ("CA", "Canada", "North America", "CAD", -5.0, 0.85, "2016-09-01", 25, 0.42, "us", "en"),
    ("BR", "Brazil", "Latin America", "BRL", -3.0, 0.40, "2017-04-01", 110, 0.26, "latam", "pt"),
    ("MX", "Mexico", "Latin America", "MXN", -6.0, 0.45, "2017-04-01", 80, 0.27, "latam", "es"),
    ("AR", "Argentina", "Latin America", "ARS", -3.0, 0.25, "2017-04-01", 20, 0.18, "latam", "es"),
    ("CO", "Colombia", "Latin America", "COP", -5.0, 0.40, "2017-04-01", 18, 0.22, "latam", "es"),
    ("CL", "Chile", "Latin America", "CLP", -4.0, 0.50, "2017-04-01", 15, 0.28, "latam", "es"),
    ("AU", "Australia", "Asia Pacific", "AUD", 10.0, 0.85, "2017-06-01", 20, 0.44, "us", "en"),
    ("JP", "Japan", "Asia Pacific", "JPY", 9.0, 0.75, "2018-09-01", 12, 0.30, "asia", "ja"),
    ("KR", "South Korea", "Asia Pacific", "KRW", 9.0, 0.70, "2021-02-01", 6, 0.30, "asia", "en"),
    ("IN", "India", "Asia Pacific", "INR", 5.5, 0.20, "2019-02-26", 60, 0.10, "other", "en"),
    ("ID", "Indonesia", "Asia Pacific", "IDR", 7.0, 0.30, "2018-03-01", 30, 0.15, "asia", "en"),
    ("PH", "Philippines", "Asia Pacific", "PHP", 8.0, 0.30, "2018-03-01", 30, 0.15, "asia", "en"),
    ("TR", "Turkey", MEA, "TRY", 3.0, 0.20, "2019-06-01", 15, 0.18, "other", "en"),
    ("ZA", "South Africa", MEA, "ZAR", 2.0, 0.45, "2019-06-01", 9, 0.20, "other", "en"),
    ("NG", "Nigeria", MEA, "NGN", 1.0, 0.25, "2021-02-01", 8, 0.10, "other", "en"),
]

GENRES = ["pop", "hip-hop", "rock", "latin", "electronic", "indie", "r&b", "k-pop", "country",
          "metal", "jazz", "classical"]

# How much each taste profile likes each genre (relative weights).
GENRE_PREFERENCES: dict[str, dict[str, int]] = {
    "europe": {"pop": 28, "hip-hop": 15, "rock": 14, "electronic": 14, "indie": 10, "metal": 6,
               "r&b": 5, "latin": 3, "jazz": 2, "classical": 2, "k-pop": 1, "country": 1},
    "us": {"hip-hop": 26, "pop": 24, "country": 12, "rock": 10, "r&b": 10, "indie": 6, "latin": 5,
           "electronic": 4, "metal": 2, "jazz": 1, "classical": 1, "k-pop": 1},
    "latam": {"latin": 46, "pop": 20, "hip-hop": 11, "rock": 6, "electronic": 5, "r&b": 4,
              "indie": 3, "metal": 2, "jazz": 1, "classical": 1, "k-pop": 1, "country": 1},
    "asia": {"k-pop": 34, "pop": 28, "hip-hop": 10, "r&b": 8, "rock": 7, "electronic": 6,
             "indie": 4, "jazz": 2, "classical": 2, "metal": 1, "latin": 1, "country": 1},
    "other": {"pop": 30, "hip-hop": 24, "r&b": 12, "electronic": 9, "rock": 8, "latin": 4,
              "indie": 4, "k-pop": 4, "country": 2, "metal": 1, "jazz": 1, "classical": 1},
}

# plan_id, name, display name, current monthly price (USD cents), accounts, paid, launched
PLANS = [
    (1, "free", "Nordtone Free", 0, 1, False, "2015-03-01"),
    (2, "premium", "Premium Individual", 1199, 1, True, "2015-03-01"),
    (3, "family", "Premium Family", 1999, 6, True, "2017-05-15"),
    (4, "student", "Premium Student", 599, 1, True, "2018-09-01"),
    (5, "duo", "Premium Duo", 1699, 2, True, "2020-03-10"),
]

PODCAST_CATEGORIES = [
    # category, legacy v1 category, typical episode minutes, weight
    ("true crime", "Entertainment", 50, 12),
    ("comedy", "Entertainment", 65, 14),
    ("news", "News & Talk", 22, 10),
    ("society & culture", "News & Talk", 45, 12),
    ("business", "Knowledge", 35, 8),
    ("sports", "Sport", 50, 9),
    ("education", "Knowledge", 30, 7),
    ("health & fitness", "Lifestyle", 35, 6),
    ("technology", "Knowledge", 45, 6),
    ("history", "Knowledge", 55, 6),
    ("music", "Entertainment", 40, 4),
    ("kids & family", "Lifestyle", 15, 3),
    ("fiction", "Entertainment", 30, 3),
]

FIRST_NAMES = [
    "Alva", "Elias", "Maja", "Liam", "Nora", "Oscar", "Freja", "Hugo", "Ines", "Mateo", "Lucia",
    "Diego", "Camila", "Rafael", "Beatriz", "Joao", "Ana", "Kenji", "Yuna", "Minji", "Amara",
    "Kofi", "Zara", "Omar", "Leila", "Noah", "Ava", "Mia", "Ethan", "Chloe", "Lena", "Jonas",
    "Felix", "Clara", "Emil", "Astrid", "Viktor", "Sofia", "Pablo", "Valentina", "Santiago",
    "Isabela", "Gabriel", "Priya", "Arjun", "Rhea", "Dev", "Hana", "Sora", "Tariq", "Nia", "Malik",
    "Elena", "Marco", "Giulia", "Luca", "Chiara", "Theo", "Iris", "Selma",
]
LAST_NAMES = [
    "Lindqvist", "Berg", "Holm", "Carter", "Reyes", "Santos", "Oliveira", "Moreno", "Navarro",
    "Fischer", "Weber", "Dubois", "Laurent", "Rossi", "Bianchi", "Kim", "Park", "Tanaka", "Sato",
    "Okafor", "Mensah", "Haddad", "Nakamura", "Silva", "Costa", "Ferreira", "Alvarez", "Castillo",
    "Vega", "Hughes", "Bennett", "Walsh", "Murphy", "Novak", "Kowalski", "Jensen", "Hansen",
    "Nyberg", "Sundberg", "Ekstrom", "Vargas", "Rios", "Mendes", "Lopes", "Sharma", "Mehta",
    "Iyer", "Rahman", "Lee", "Chen", "Wong", "Ito", "Brooks", "Hayes", "Stone", "Quinn", "Fox",
    "Marsh", "Blake", "Frost",
]
BAND_ADJECTIVES = [
    "Velvet", "Golden", "Neon", "Silent", "Electric", "Crimson", "Midnight", "Paper", "Wild",
    "Lunar", "Broken", "Hollow", "Bright", "Static", "Cosmic", "Glass", "Northern", "Faded",
    "Burning", "Frozen", "Secret", "Little", "Endless", "Heavy", "Sweet", "Blue", "Black",
    "Silver", "Savage", "Gentle", "Lost", "Wandering", "Restless", "Quiet", "Holy", "Violet",
    "Copper", "Hidden", "Rolling", "Lucky",
]
BAND_NOUNS = [
    "Wolves", "Tides", "Echoes", "Satellites", "Pines", "Rivers", "Machines", "Ghosts", "Lanterns",
    "Horses", "Arrows", "Comets", "Foxes", "Sparrows", "Harbors", "Mirrors", "Signals", "Shadows",
    "Owls", "Engines", "Kings", "Daughters", "Strangers", "Saints", "Pilots", "Tigers", "Ravens",
    "Dials", "Moons", "Cities", "Waves", "Flowers", "Giants", "Bandits", "Sirens", "Animals",
    "Drifters", "Hearts", "Lions", "Canyons",
]
SYLLABLES_A = [
    "Ka", "Lu", "Mi", "No", "Ze", "Ri", "Sa", "Vo", "Ta", "Ely", "Ari", "Jo", "Xa", "Ny", "Bo",
    "Ki", "Ma", "Da", "Fe", "Ro", "Sol", "Io", "Ba", "Ve", "Cy", "Lo", "Pa", "Om", "Ya", "Te",
]
SYLLABLES_B = [
    "ra", "vo", "lia", "nox", "mi", "zen", "ko", "via", "lo", "ne", "sha", "rio", "ya", "no",
    "dex", "lle", "ro", "ka", "mae", "ni", "tto", "ssa", "ric", "ji", "ven", "ly", "ze", "bo",
    "na", "sol",
]
TITLE_A = [
    "Midnight", "Summer", "Golden", "Paper", "Neon", "Electric", "Lonely", "Sweet", "Endless",
    "Broken", "Silver", "Wild", "Falling", "Dancing", "Burning", "Quiet", "Crazy", "Lost", "First",
    "Last", "Perfect", "Slow", "Higher", "Better", "Cold", "Blue", "Red", "Young", "Honest",
    "Sugar", "Velvet", "Secret", "Easy", "Heavy", "Late", "Early", "Hollow", "Simple", "Strange",
    "Gentle",
]
TITLE_B = [
    "Nights", "Heart", "Rain", "Lights", "Love", "Dreams", "Fire", "City", "Roads", "Stars",
    "Waves", "Summer", "Echo", "Feelings", "Mornings", "Eyes", "Skin", "Gold", "Home", "Sky",
    "Signals", "Ghosts", "Letters", "Streets", "Money", "Fever", "Paradise", "Promises", "Tears",
    "Memories", "Storm", "Wings", "Shadows", "Parade", "Highway", "Ocean", "Garden", "Coffee",
    "Static", "Horizon",
]
TITLE_ES_A = [
    "Noche", "Luna", "Fuego", "Cielo", "Playa", "Fiesta", "Vida", "Sol", "Mar", "Calle", "Besos",
    "Ritmo", "Sueño", "Verano",
]
TITLE_ES_B = ["de Verano", "de Amor", "Contigo", "Sin Ti", "de Fuego", "Bonita", "Loca",
              "del Mar", "de Medianoche", "Caliente", "Eterna", "Perdida", "Conmigo",
              "en la Ciudad"]
ALBUM_WORDS = [
    "Atlas", "Reverie", "Bloom", "Monument", "Tapestry", "Horizons", "Afterglow", "Chapters",
    "Wilderness", "Voltage", "Origins", "Skyline", "Gravity", "Mosaic", "Lullabies", "Anthems",
    "Postcards", "Seasons", "Chrome", "Daylight",
]
LABELS = ["Northlight Records", "Polar Sound", "Harbor Music Group", "Indigo Label",
          "Brightside Recordings", "Casa Ritmo", "Seoul Wave Entertainment", "Blue Fjord",
          "Meridian Music", "Independent"]
GENERAL_LABELS = [lb for lb in LABELS if lb not in ("Casa Ritmo", "Seoul Wave Entertainment")]
SHOW_A = [
    "Morning", "Late", "Night", "Deep", "Hidden", "Open", "Tiny", "Unfiltered", "Modern",
    "Curious", "Weekend", "Sunday", "Midnight", "Loud", "Quiet", "Honest", "Wild", "Little", "Big",
    "Second", "Golden", "Slow", "Northern", "Common", "Odd",
]
SHOW_B = [
    "Ledger", "Campfire", "Signal", "Frequency", "Files", "Table", "Lab", "Hour", "Report",
    "Tapes", "Atlas", "Orbit", "Dispatch", "Briefing", "Room", "Circle", "Sessions", "Chronicles",
    "Mystery", "Margin", "Desk", "Cabinet", "Club", "Kitchen", "Pitch", "Stacks", "Archive",
    "Question", "Hustle", "Playbook",
]
SHOW_TEMPLATES = ["The {a} {b}", "{a} {b}", "{b} with {first}", "The {b} Podcast",
                  "{first} & {first2} {b}", "{a} {b} Radio"]
SHOW_NAMES_LOCAL = {
    "es": (["La Hora", "El Café", "Noches", "Historias", "Crónicas", "La Mesa", "El Club",
            "Voces", "Pódcast", "La Vuelta"],
           ["del Misterio", "de Fútbol", "de la Ciudad", "Sin Filtro", "Criminales", "del Sur",
            "de Negocios", "Curiosas", "de Medianoche", "en Español", "de Barrio"]),
    "pt": (["Papo", "Café", "Histórias", "Mesa", "Conversa", "Rádio", "Resenha", "Crônicas"],
           ["de Domingo", "Criminal", "Sem Filtro", "do Futebol", "Brasileiro", "da Noite",
            "de Boteco", "Curiosas", "do Mercado"]),
    "sv": (["Morgon", "Kvälls", "Mord", "Fotbolls", "Historie", "Vetenskaps", "Ekonomi",
            "Humor", "Musik", "Fredags"],
           ["podden", "snack", "radion", "klubben", "timmen", "byrån", "fikat"]),
    "de": (["Zeit", "Mord", "Fußball", "Wissen", "Geschichte", "Feierabend", "Alltag", "Kaffee"],
           ["funk", "gespräche", "stunde", "akte", "runde", "klatsch", "labor"]),
    "fr": (["Les Matins", "Affaires", "Histoires", "La Table", "Le Club", "Les Voix"],
           ["Criminelles", "du Soir", "de Paris", "Sans Filtre", "du Sport", "Curieuses"]),
    "ja": (["Tokyo", "Yoru no", "Asa no", "Kyou no"],
           ["Radio", "Talk", "Journal", "Hour", "Salon"]),
}
PUBLISHERS = ["Nordtone Originals", "Harbor Audio", "Lantern Media", "Cobalt Podcasts",
              "Fjord Audio", "Public Radio Collective", "Bright Minds Network", "Casa Audio",
              "Sidewalk Studios", "Independent"]
EPISODE_TOPICS = [
    "the origin story", "a listener mailbag", "an interview with a founder",
    "the case that broke the town", "what nobody tells you about money", "live from the festival",
    "the year in review", "the rematch", "a day in the life", "the comeback",
    "inside the transfer window", "ask us anything", "the science of sleep",
    "the forgotten empire", "the cold open", "myths and facts", "the big question",
    "a new season begins", "the finale", "behind the scenes", "the night shift",
    "first impressions", "an unlikely friendship", "the missing tapes",
]

# fmt: on


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def _values(rows: Sequence[tuple[object, ...]]) -> str:
    """Python tuples as the body of a SQL VALUES clause."""
    return ", ".join("(" + ", ".join(_literal(v) for v in row) + ")" for row in rows)


def _artist_names(rng: random.Random, n: int) -> list[str]:
    """Unique, pronounceable names: solo artists, bands and one-word stage names."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        kind = rng.random()
        if kind < 0.45:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        elif kind < 0.75:
            name = f"The {rng.choice(BAND_ADJECTIVES)} {rng.choice(BAND_NOUNS)}"
            if rng.random() < 0.4:
                name = name[4:]
        else:
            name = rng.choice(SYLLABLES_A) + rng.choice(SYLLABLES_B)
            if rng.random() < 0.3:
                name += rng.choice(SYLLABLES_B)
            if rng.random() < 0.15:
                name = "DJ " + name
            elif rng.random() < 0.1:
                name = name.upper()
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _show_names(rng: random.Random, languages: list[str]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for lang in languages:
        while True:
            if lang in SHOW_NAMES_LOCAL and rng.random() < 0.85:
                a, b = SHOW_NAMES_LOCAL[lang]
                joiner = "" if lang in ("sv", "de") else " "
                name = rng.choice(a) + joiner + rng.choice(b)
            else:
                name = rng.choice(SHOW_TEMPLATES).format(
                    a=rng.choice(SHOW_A),
                    b=rng.choice(SHOW_B),
                    first=rng.choice(FIRST_NAMES),
                    first2=rng.choice(FIRST_NAMES),
                )
            if name not in seen:
                seen.add(name)
                names.append(name)
                break
    return names


def _cdf(table: str, source: str, order: str, weight: str, by: str = "") -> str:
    """A cumulative-weight table for weighted picks with ASOF JOIN.

    Weights are integers, so the running sums are exact and the same on every run. With ``by``,
    rows are laid out group after group: a pick inside one group draws a number between the
    group's ``grp_lo`` and ``grp_lo + cum_total`` (an inequality-only ASOF join is the fast kind).
    """
    order_by = f"{by}, {order}" if by else order
    partition = f"PARTITION BY {by}" if by else ""
    return f"""
    CREATE TEMP TABLE {table} AS
    WITH src AS (SELECT * FROM ({source}) WHERE {weight} > 0),
    c AS (
      SELECT *, coalesce(sum({weight}) OVER (ORDER BY {order_by}
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT AS cum_lo,
             sum({weight}) OVER ({partition})::BIGINT AS cum_total
      FROM src)
    SELECT *, min(cum_lo) OVER ({partition})::BIGINT AS grp_lo FROM c
    ORDER BY {order_by}
    """


def build(con: duckdb.DuckDBPyConnection, scale: float) -> None:
    rng = random.Random(SEED)
    n_users = max(1_000, round(N_USERS * scale))
    n_streams = max(20_000, round(N_STREAM_CANDIDATES * scale))
    n_pod = max(5_000, round(N_PODCAST_CANDIDATES * scale))
    n_follow = max(1_000, round(N_FOLLOW_CANDIDATES * scale))
    ws, we = f"DATE '{WINDOW_START}'", f"DATE '{WINDOW_END}'"

    x = con.execute
    # rnd(i, k): a uniform number in [0, 1) from a row number and a salt. Salts are < 7919.
    x(
        "CREATE TEMP MACRO rnd(i, k) AS "
        "(hash((i)::BIGINT * 7919 + (k)) >> 11)::DOUBLE / 9007199254740992.0"
    )
    x(
        "CREATE TEMP MACRO pick(i, k, xs) AS "
        "list_element(xs, 1 + floor(rnd(i, k) * len(xs))::INTEGER)"
    )
    x("SET enable_progress_bar = false")
    x("CREATE SCHEMA analytics")

    # ------------------------------------------------------------------ reference tables
    x(f"""CREATE TEMP TABLE country_meta AS
          SELECT * REPLACE (launched_on::DATE AS launched_on) FROM (VALUES {_values(COUNTRIES)})
          t(country_code, country_name, region, currency_code, utc_offset_hours, price_index,
            launched_on, weight, sub_rate, profile, podcast_language)""")
    x("""CREATE TABLE analytics.countries AS
         SELECT country_code, country_name, region, currency_code,
                utc_offset_hours::DECIMAL(3, 1) AS utc_offset_hours,
                price_index::DECIMAL(4, 2) AS price_index, launched_on
         FROM country_meta ORDER BY country_code""")
    x(_cdf("country_cdf", "SELECT * FROM country_meta", "country_code", "weight"))

    x(f"""CREATE TABLE analytics.plans AS
          SELECT * REPLACE (launched_on::DATE AS launched_on) FROM (VALUES {_values(PLANS)})
          t(plan_id, plan_name, display_name, monthly_price_cents, max_accounts, is_paid,
            launched_on)""")

    genre_rows = ", ".join(
        f"('{p}', '{g}', {w}, {GENRES.index(g)})"
        for p, prefs in GENRE_PREFERENCES.items()
        for g, w in prefs.items()
    )
    x(
        f"CREATE TEMP TABLE genre_pref AS "
        f"SELECT * FROM (VALUES {genre_rows}) t(profile, genre, w, gi)"
    )
    x(_cdf("genre_cdf", "SELECT * FROM genre_pref", "gi", "w", by="profile"))

    # ------------------------------------------------------------------ users
    # Ids grow with the signup date: 40% signed up before the window, growth accelerates.
    x(f"""
    CREATE TEMP TABLE u0 AS
    WITH ids AS (SELECT i AS user_id, (i - 100)::DOUBLE / {n_users} AS f
                 FROM range(1, {n_users} + 100) r(i))
    SELECT user_id,
      CASE WHEN user_id < 100
             THEN DATE '2018-05-02' + floor(rnd(user_id, 101) * 600)::INTEGER
           WHEN f < 0.4
             THEN DATE '{COMPANY_LAUNCH}' + floor(sqrt(f / 0.4)
                  * (DATE '2023-12-31' - DATE '{COMPANY_LAUNCH}'))::INTEGER
           ELSE {ws} + floor(pow((f - 0.4) / 0.6, 0.8) * ({we} - {ws}))::INTEGER
      END AS signup_date,
      floor(rnd(user_id, 102) * (SELECT max(cum_total) FROM country_cdf))::BIGINT AS cx1,
      floor(rnd(user_id, 103) * (SELECT max(cum_total) FROM country_cdf))::BIGINT AS cx2
    FROM ids ORDER BY user_id""")
    x("""
    CREATE TEMP TABLE u1 AS
    SELECT u.user_id, u.signup_date,
      CASE WHEN u.user_id < 100 THEN (CASE WHEN rnd(u.user_id, 104) < 0.8 THEN 'SE' ELSE 'US' END)
           WHEN u.signup_date >= a.launched_on THEN a.country_code
           WHEN u.signup_date >= b.launched_on THEN b.country_code
           WHEN u.signup_date >= DATE '2016-09-01' THEN 'US'
           ELSE 'SE' END AS country_code
    FROM (u0 u ASOF JOIN country_cdf a ON u.cx1 >= a.cum_lo)
         ASOF JOIN country_cdf b ON u.cx2 >= b.cum_lo
    """)
    x("""
    CREATE TEMP TABLE ub AS
    SELECT u.user_id, u.signup_date, u.country_code, c.profile, c.utc_offset_hours, c.sub_rate,
           c.podcast_language, c.price_index,
           u.user_id < 100 AS is_test,
           CASE WHEN u.user_id < 100 THEN DATE '2099-12-31'
                WHEN rnd(u.user_id, 105) < 0.28
                  THEN u.signup_date + (15 + floor(rnd(u.user_id, 106) * 150))::INTEGER
                WHEN rnd(u.user_id, 105) < 0.60
                  THEN u.signup_date + (165 + floor(rnd(u.user_id, 106) * 900))::INTEGER
                ELSE DATE '2099-12-31' END AS active_until,
           2011 - floor(50 * pow(rnd(u.user_id, 107), 1.6))::INTEGER AS birth_year,
           CASE WHEN rnd(u.user_id, 108) < 0.46 THEN 'female'
                WHEN rnd(u.user_id, 108) < 0.91 THEN 'male'
                WHEN rnd(u.user_id, 108) < 0.93 THEN 'non_binary' ELSE 'unknown' END AS gender,
           CASE WHEN u.user_id < 100 THEN 'internal'
                WHEN rnd(u.user_id, 109) < 0.45 THEN 'organic'
                WHEN rnd(u.user_id, 109) < 0.63 THEN 'paid_social'
                WHEN rnd(u.user_id, 109) < 0.75 THEN 'referral'
                WHEN rnd(u.user_id, 109) < 0.90 THEN 'partner_bundle' ELSE 'app_store_search'
           END AS signup_channel,
           CASE WHEN u.user_id < 100 THEN (CASE WHEN rnd(u.user_id, 110) < 0.7 THEN 'web'
                                                ELSE 'android' END)
                WHEN rnd(u.user_id, 110) < 0.78 THEN
                  (CASE WHEN rnd(u.user_id, 111) <
                        (CASE WHEN u.country_code IN ('US', 'GB', 'SE', 'NO', 'DK', 'JP', 'AU',
                                                      'CA')
                              THEN 0.58 ELSE 0.28 END) THEN 'ios' ELSE 'android' END)
                WHEN rnd(u.user_id, 110) < 0.91 THEN 'desktop'
                WHEN rnd(u.user_id, 110) < 0.97 THEN 'web' ELSE 'smart_speaker'
           END AS primary_device,
           g.grp_lo + floor(rnd(u.user_id, 112) * g.cum_total)::BIGINT AS gx
    FROM u1 u JOIN country_meta c USING (country_code)
         JOIN (SELECT DISTINCT profile, grp_lo, cum_total FROM genre_cdf) g ON g.profile = c.profile
    """)
    x(f"""
    CREATE TEMP TABLE users_full AS
    SELECT u.*, g.genre AS fav_genre,
           CASE WHEN u.active_until < {we} AND NOT u.is_test AND rnd(u.user_id, 113) < 0.12
                 AND u.active_until + 20 + floor(rnd(u.user_id, 114) * 300)::INTEGER <= {we}
                THEN (u.active_until + 20 + floor(rnd(u.user_id, 114) * 300)::INTEGER)::TIMESTAMP
                     + to_seconds(floor(rnd(u.user_id, 115) * 86400))
           END AS deleted_at
    FROM ub u ASOF JOIN genre_cdf g ON u.gx >= g.cum_lo
    """)

    # ------------------------------------------------------------------ catalogue: music
    artist_names = _artist_names(rng, N_ARTISTS)
    x(
        "CREATE TEMP TABLE artist_names AS SELECT unnest(?::VARCHAR[]) AS artist_name, "
        "unnest(range(1, ? + 1)) AS artist_id",
        [artist_names, N_ARTISTS],
    )
    x("""
    CREATE TEMP TABLE artists0 AS
    WITH a AS (
      SELECT n.artist_id, n.artist_name,
             floor(rnd(n.artist_id, 201) * (SELECT max(cum_total) FROM country_cdf))::BIGINT AS cx
      FROM artist_names n)
    SELECT a.artist_id, a.artist_name, c.country_code, c.profile,
           pow(rnd(a.artist_id, 202), 6) AS popularity,
           DATE '2026-06-01' - floor(pow(rnd(a.artist_id, 203), 1.7) * 21000)::INTEGER
             AS career_start
    FROM a ASOF JOIN country_cdf c ON a.cx >= c.cum_lo
    """)
    x("""
    CREATE TEMP TABLE artists1 AS
    WITH a AS (SELECT a.*, g.grp_lo + floor(rnd(a.artist_id, 204) * g.cum_total)::BIGINT AS gx
               FROM artists0 a JOIN (SELECT DISTINCT profile, grp_lo, cum_total FROM genre_cdf) g
                    USING (profile))
    SELECT a.*, g.genre AS primary_genre
    FROM a ASOF JOIN genre_cdf g ON a.gx >= g.cum_lo
    """)
    x(f"""
    CREATE TABLE analytics.artists AS
    SELECT artist_id::INTEGER AS artist_id, artist_name, country_code, primary_genre,
           CASE WHEN primary_genre = 'latin' AND rnd(artist_id, 205) < 0.6 THEN 'Casa Ritmo'
                WHEN primary_genre = 'k-pop' AND rnd(artist_id, 205) < 0.7
                  THEN 'Seoul Wave Entertainment'
                ELSE pick(artist_id, 206, {_sql_list(GENERAL_LABELS)})
           END AS label_name,
           popularity > 0.02 OR rnd(artist_id, 207) < 0.35 AS is_verified,
           career_start AS first_release_date
    FROM artists1 ORDER BY artist_id
    """)
    x(f"""
    CREATE TEMP TABLE albums0 AS
    WITH al AS (
      SELECT i AS album_id,
             1 + (floor({N_ARTISTS} * pow(rnd(i, 211), 1.6))::BIGINT * 2971) % {N_ARTISTS}
               AS artist_id
      FROM range(1, {N_ALBUMS} + 1) r(i))
    SELECT al.album_id, al.artist_id, a.primary_genre, a.popularity,
           least({we}, a.career_start + floor(rnd(al.album_id, 212)
                 * greatest(1, {we} - a.career_start))::INTEGER) AS release_date,
           CASE WHEN rnd(al.album_id, 213) < 0.42 THEN 'single'
                WHEN rnd(al.album_id, 213) < 0.60 THEN 'ep'
                WHEN rnd(al.album_id, 213) < 0.95 THEN 'album' ELSE 'compilation' END AS album_type
    FROM al JOIN artists1 a USING (artist_id)
    """)
    x(f"""
    CREATE TABLE analytics.albums AS
    SELECT album_id::INTEGER AS album_id, artist_id::INTEGER AS artist_id,
           CASE WHEN album_type = 'compilation' THEN
                  pick(album_id, 214, ['Greatest Hits', 'The Collection', 'Essentials',
                                       'Live Sessions', 'B-Sides & Rarities'])
                WHEN album_type = 'single' THEN
                  pick(album_id, 215, {_sql_list(TITLE_A)}) || ' ' ||
                  pick(album_id, 216, {_sql_list(TITLE_B)})
                ELSE pick(album_id, 217, {_sql_list([*TITLE_A, ""])}) || ' ' ||
                  pick(album_id, 218, {_sql_list(ALBUM_WORDS)})
           END AS album_name,
           album_type, release_date,
           CASE album_type WHEN 'single' THEN 1 + floor(rnd(album_id, 219) * 2)::INTEGER
                           WHEN 'ep' THEN 4 + floor(rnd(album_id, 219) * 3)::INTEGER
                           WHEN 'album' THEN 8 + floor(rnd(album_id, 219) * 9)::INTEGER
                           ELSE 14 + floor(rnd(album_id, 219) * 10)::INTEGER END::INTEGER
             AS track_count
    FROM albums0 ORDER BY album_id
    """)
    x("UPDATE analytics.albums SET album_name = trim(album_name)")
    x(f"""
    CREATE TEMP TABLE tracks0 AS
    WITH t AS (
      SELECT al.album_id, al.artist_id, al.release_date, al.album_type,
             unnest(range(1, al.track_count + 1)) AS track_number
      FROM analytics.albums al),
    n AS (
      SELECT row_number() OVER (ORDER BY album_id, track_number)::INTEGER AS track_id, *
      FROM t)
    SELECT n.track_id, n.album_id, n.artist_id, n.track_number, n.release_date,
           CASE WHEN rnd(n.track_id, 221) < 0.88 THEN a.primary_genre
                ELSE pick(n.track_id, 222, {_sql_list(GENRES)}) END AS genre,
           a.popularity
    FROM n JOIN artists1 a USING (artist_id)
    """)
    x(f"""
    CREATE TABLE analytics.tracks AS
    SELECT track_id,
           CASE WHEN genre = 'latin' AND rnd(track_id, 223) < 0.7 THEN
                  pick(track_id, 224, {_sql_list(TITLE_ES_A)}) || ' ' ||
                  pick(track_id, 225, {_sql_list(TITLE_ES_B)})
                WHEN rnd(track_id, 223) < 0.25 THEN pick(track_id, 226, {_sql_list(TITLE_B)})
                ELSE pick(track_id, 227, {_sql_list(TITLE_A)}) || ' ' ||
                     pick(track_id, 228, {_sql_list(TITLE_B)})
           END || CASE WHEN rnd(track_id, 229) < 0.04 THEN ' (Remix)'
                       WHEN rnd(track_id, 229) < 0.06 THEN ' (Acoustic)'
                       WHEN rnd(track_id, 229) < 0.08 THEN ' - Live' ELSE '' END AS track_name,
           artist_id::INTEGER AS artist_id, album_id::INTEGER AS album_id,
           track_number::INTEGER AS track_number, genre,
           CASE genre WHEN 'classical' THEN 180000 + floor(rnd(track_id, 230) * 480000)
                      WHEN 'jazz' THEN 170000 + floor(rnd(track_id, 230) * 300000)
                      WHEN 'metal' THEN 190000 + floor(rnd(track_id, 230) * 200000)
                      ELSE 125000 + floor(rnd(track_id, 230) * 130000)
                           + floor(pow(rnd(track_id, 231), 3) * 120000) END::INTEGER AS duration_ms,
           rnd(track_id, 232) < (CASE genre WHEN 'hip-hop' THEN 0.62 WHEN 'latin' THEN 0.25
                                 WHEN 'metal' THEN 0.3 ELSE 0.08 END) AS is_explicit,
           release_date
    FROM tracks0 ORDER BY track_id
    """)
    # Popularity: a few superstars, most tracks rarely played; new releases get a boost.
    x(
        _cdf(
            "track_cdf",
            f"""
        SELECT t0.track_id, t0.genre, t0.release_date, t.duration_ms,
               (1 + floor(20000 * t0.popularity * pow(rnd(t0.track_id, 233), 2.5)))::BIGINT
               * (CASE WHEN t0.release_date >= {ws} THEN 3 ELSE 1 END)
               * (CASE WHEN t0.track_number <= 3 THEN 2 ELSE 1 END) AS w
        FROM tracks0 t0 JOIN analytics.tracks t USING (track_id)""",
            "track_id",
            "w",
            by="genre",
        )
    )
    # A play that picked a track not yet released falls back to the back catalogue.
    x(
        _cdf(
            "catalog_cdf",
            "SELECT * EXCLUDE (cum_lo, cum_total, grp_lo) FROM track_cdf "
            f"WHERE release_date < {ws}",
            "track_id",
            "w",
            by="genre",
        )
    )

    # ------------------------------------------------------------------ streams
    x(f"""
    CREATE TEMP TABLE user_activity AS
    SELECT *, greatest(signup_date, {ws}) AS a_start,
           least(active_until, {we}, coalesce(deleted_at::DATE, {we})) AS a_end,
           (least(active_until, {we}, coalesce(deleted_at::DATE, {we}))
             - greatest(signup_date, {ws}) + 1)::INTEGER AS active_days,
           (10 + floor(600 * pow(rnd(user_id, 120), 3)))::BIGINT AS engagement,
           (10 + floor(600 * pow(rnd(user_id, 121), 3)))::BIGINT AS podcast_engagement
    FROM users_full
    """)
    # Test accounts get exactly enough weight to be TEST_ACCOUNT_SHARE of the plays.
    x(f"""
    CREATE TEMP TABLE user_weights AS
    WITH real AS (SELECT sum(engagement * active_days) AS total FROM user_activity
                  WHERE NOT is_test AND active_days > 0)
    SELECT ua.*,
           CASE WHEN active_days <= 0 THEN 0
                WHEN is_test THEN (SELECT total FROM real) * {TEST_ACCOUNT_SHARE}
                                  / (1 - {TEST_ACCOUNT_SHARE}) / 99
                ELSE engagement * active_days END::BIGINT AS w
    FROM user_activity ua
    """)
    x(_cdf("user_cdf", "SELECT * FROM user_weights", "user_id", "w"))
    x(f"""
    CREATE TEMP TABLE s1 AS
    SELECT s.i, u.user_id, u.is_test, u.country_code AS home_country, u.profile, u.fav_genre,
           u.primary_device, u.utc_offset_hours,
           u.a_start + floor(rnd(s.i, 302) * u.active_days)::INTEGER AS local_day
    FROM (SELECT i, floor(rnd(i, 301) * (SELECT max(cum_total) FROM user_cdf))::BIGINT AS x
          FROM range({n_streams}) r(i)) s
    ASOF JOIN user_cdf u ON s.x >= u.cum_lo
    """)
    x("""
    CREATE TEMP TABLE s2 AS
    WITH t AS (
      SELECT s.*,
        CASE WHEN rnd(i, 303) < 0.28 THEN 6.5 * 3600 + rnd(i, 304) * 3 * 3600
             WHEN rnd(i, 303) < 0.86 THEN 14 * 3600 + pow(rnd(i, 304), 0.8) * 9.9 * 3600
             ELSE rnd(i, 304) * 86399 END AS local_seconds,
        g.grp_lo + floor(rnd(i, 305) * g.cum_total)::BIGINT AS gx,
        floor(rnd(i, 306) * (SELECT max(cum_total) FROM country_cdf))::BIGINT AS cx
      FROM s1 s JOIN (SELECT DISTINCT profile, grp_lo, cum_total FROM genre_cdf) g USING (profile)
      -- fewer plays on weekdays than on Fridays and Saturdays
      WHERE isodow(local_day) IN (5, 6) OR rnd(i, 307) < 0.86)
    SELECT t.*, g.genre AS random_genre, c.country_code AS travel_country
    FROM (t ASOF JOIN genre_cdf g ON t.gx >= g.cum_lo)
         ASOF JOIN country_cdf c ON t.cx >= c.cum_lo
    """)
    x(f"""
    CREATE TEMP TABLE s3 AS
    WITH t AS (
      SELECT s.*,
             local_day::TIMESTAMP + to_seconds(floor(local_seconds))
               - to_seconds(utc_offset_hours * 3600) AS stream_ts,
             CASE WHEN is_test OR rnd(i, 308) < 0.6 THEN fav_genre ELSE random_genre END AS genre
      FROM s2 s),
    t2 AS (
      SELECT t.*, g.grp_lo + floor(rnd(i, 309) * g.cum_total)::BIGINT AS tx,
             c.grp_lo + floor(rnd(i, 319) * c.cum_total)::BIGINT AS catalog_x
      FROM t JOIN (SELECT DISTINCT genre, grp_lo, cum_total FROM track_cdf) g USING (genre)
             JOIN (SELECT DISTINCT genre, grp_lo, cum_total FROM catalog_cdf) c USING (genre)
      WHERE t.stream_ts::DATE BETWEEN {ws} AND {we})
    SELECT t2.i, t2.user_id, t2.is_test, t2.stream_ts, t2.stream_ts::DATE AS stream_date,
           CASE WHEN NOT t2.is_test AND rnd(i, 310) < 0.03 THEN t2.travel_country
                ELSE t2.home_country END AS country_code,
           t2.primary_device,
           CASE WHEN tr.release_date <= t2.stream_ts::DATE THEN tr.track_id ELSE cat.track_id
           END AS track_id,
           CASE WHEN tr.release_date <= t2.stream_ts::DATE THEN tr.duration_ms ELSE cat.duration_ms
           END AS duration_ms
    FROM (t2 ASOF JOIN track_cdf tr ON t2.tx >= tr.cum_lo)
         ASOF JOIN catalog_cdf cat ON t2.catalog_x >= cat.cum_lo
    """)
    x("""
    CREATE TABLE analytics.streams AS
    WITH t AS (
      SELECT s.*,
        CASE WHEN is_test THEN (CASE WHEN rnd(i, 311) < 0.5 THEN 'search' ELSE 'playlist' END)
             WHEN rnd(i, 311) < 0.38 THEN 'playlist'
             WHEN rnd(i, 311) < 0.55 THEN 'album'
             WHEN rnd(i, 311) < 0.63 THEN 'artist_page'
             WHEN rnd(i, 311) < 0.73 THEN 'search'
             WHEN rnd(i, 311) < 0.85 THEN 'radio' ELSE 'liked_songs' END AS source,
        CASE WHEN is_test OR rnd(i, 312) < 0.72 THEN primary_device
             WHEN rnd(i, 313) < 0.28 THEN 'desktop'
             WHEN rnd(i, 313) < 0.40 THEN 'web'
             WHEN rnd(i, 313) < 0.62 THEN 'smart_speaker'
             WHEN rnd(i, 313) < 0.82 THEN 'car'
             WHEN rnd(i, 313) < 0.95 THEN 'tv' ELSE 'console' END AS device_type
      FROM s3 s),
    p AS (
      SELECT t.*,
        CASE WHEN is_test AND rnd(i, 314) < 0.7 THEN 30000 + floor(rnd(i, 315) * 6000)
             WHEN rnd(i, 314) < (CASE source WHEN 'radio' THEN 0.36 WHEN 'search' THEN 0.12
                                 ELSE 0.22 END)
               THEN 800 + floor(pow(rnd(i, 315), 1.5) * 29000)
             WHEN rnd(i, 316) < 0.62 THEN duration_ms
             ELSE 30000 + floor(rnd(i, 315) * greatest(1, duration_ms - 30000))
        END::INTEGER AS ms_played
      FROM t)
    SELECT row_number() OVER (ORDER BY stream_ts, i)::BIGINT AS stream_id,
           stream_ts, stream_date, user_id::INTEGER AS user_id, track_id, country_code,
           device_type, source, ms_played,
           CASE WHEN stream_date < DATE '2024-07-01'
                THEN (ms_played * 1.08 + 250 + floor(rnd(i, 317) * 1500))::INTEGER END
             AS ms_played_legacy,
           device_type IN ('ios', 'android') AND rnd(i, 318) < 0.07 AS is_offline
    FROM p ORDER BY stream_id
    """)

    # ------------------------------------------------------------------ catalogue: podcasts
    cat_rows = ", ".join(
        f"('{c}', '{v1}', {m}, {w}, {i})" for i, (c, v1, m, w) in enumerate(PODCAST_CATEGORIES)
    )
    x(
        f"CREATE TEMP TABLE podcast_categories AS SELECT * FROM (VALUES {cat_rows}) "
        "t(category, category_v1, minutes, w, ci)"
    )
    x(_cdf("category_cdf", "SELECT * FROM podcast_categories", "ci", "w"))
    languages = []
    for _ in range(N_SHOWS):
        r = rng.random()
        languages.append(
            "en"
            if r < 0.55
            else "es"
            if r < 0.70
            else "pt"
            if r < 0.80
            else "de"
            if r < 0.87
            else "sv"
            if r < 0.93
            else "fr"
            if r < 0.98
            else "ja"
        )
    show_names = _show_names(rng, languages)
    x(
        "CREATE TEMP TABLE show_names AS SELECT unnest(?::VARCHAR[]) AS show_name, "
        "unnest(?::VARCHAR[]) AS language_code, unnest(range(1, ? + 1)) AS show_id",
        [show_names, languages, N_SHOWS],
    )
    x(f"""
    CREATE TEMP TABLE shows0 AS
    WITH s0 AS (
      SELECT n.*,
             floor(rnd(show_id, 401) * (SELECT max(cum_total) FROM category_cdf))::BIGINT AS kx,
             DATE '2026-10-31' - floor(pow(rnd(show_id, 402), 1.4) * 3500)::INTEGER AS launched0,
             CASE WHEN rnd(show_id, 403) < 0.05 THEN 1
                  WHEN rnd(show_id, 403) < 0.12 THEN 3
                  WHEN rnd(show_id, 403) < 0.72 THEN 7
                  WHEN rnd(show_id, 403) < 0.92 THEN 14 ELSE 30 END AS cadence_days
      FROM show_names n),
    s AS (
      -- daily news shows started later; keep them from dominating the episode table
      SELECT s0.*, CASE WHEN cadence_days = 1 THEN greatest(launched0, DATE '2022-09-01')
                        ELSE launched0 END AS launched_on
      FROM s0)
    SELECT s.*, c.category, c.category_v1, c.minutes,
           CASE WHEN rnd(show_id, 404) < 0.25
                 AND s.launched_on + 200 + floor(rnd(show_id, 405) * 1400)::INTEGER < {we}
                THEN s.launched_on + 200 + floor(rnd(show_id, 405) * 1400)::INTEGER END AS ended_on,
           rnd(show_id, 406) < 0.07 AS is_exclusive,
           pow(rnd(show_id, 407), 4) AS popularity
    FROM s ASOF JOIN category_cdf c ON s.kx >= c.cum_lo
    """)
    x(f"""
    CREATE TABLE analytics.podcast_shows AS
    SELECT show_id::INTEGER AS show_id, show_name,
           CASE WHEN is_exclusive THEN 'Nordtone Originals'
                ELSE pick(show_id, 408, {_sql_list(PUBLISHERS[1:])}) END AS publisher_name,
           category, category_v1, language_code,
           CASE cadence_days WHEN 1 THEN 'daily' WHEN 3 THEN 'twice_weekly' WHEN 7 THEN 'weekly'
                             WHEN 14 THEN 'biweekly' ELSE 'monthly' END AS release_cadence,
           is_exclusive, launched_on, ended_on
    FROM shows0 ORDER BY show_id
    """)
    x(f"""
    CREATE TEMP TABLE shows1 AS
    SELECT s.*,
           (floor((coalesce(ended_on, {we}) - launched_on) / cadence_days) + 1)::INTEGER
             AS n_episodes
    FROM shows0 s
    """)
    x("""
    CREATE TEMP TABLE shows2 AS
    SELECT s.*, 1 + coalesce(sum(n_episodes) OVER (ORDER BY show_id
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::INTEGER AS first_episode_id
    FROM shows1 s
    """)
    x("""
    CREATE TEMP TABLE episodes0 AS
    WITH e AS (SELECT show_id, unnest(range(n_episodes)) AS n FROM shows2)
    SELECT s.first_episode_id + e.n AS episode_id, e.show_id, e.n + 1 AS episode_number,
           s.launched_on + (e.n * s.cadence_days)::INTEGER AS published_date,
           (s.minutes * 60 * (0.7 + 0.6 * rnd(e.show_id, 411))
             * (0.8 + 0.4 * rnd(s.first_episode_id + e.n, 412)))::INTEGER AS duration_seconds,
           s.category
    FROM e JOIN shows2 s USING (show_id)
    """)
    topics = _sql_list([t[:1].upper() + t[1:] for t in EPISODE_TOPICS])
    x(f"""
    CREATE TABLE analytics.podcast_episodes AS
    SELECT episode_id::INTEGER AS episode_id, show_id::INTEGER AS show_id,
           episode_number::INTEGER AS episode_number,
           'Ep. ' || episode_number || ': ' || pick(episode_id, 413, {topics}) AS episode_title,
           published_date, duration_seconds,
           category IN ('true crime', 'comedy') AND rnd(episode_id, 414) < 0.4 AS is_explicit,
           rnd(episode_id, 415) < 0.015 AS is_removed,
           CASE WHEN rnd(episode_id, 415) < 0.015
                THEN least({we}, published_date + 3 + floor(rnd(episode_id, 416) * 400)::INTEGER)
           END AS removed_on
    FROM episodes0 ORDER BY episode_id
    """)
    x("UPDATE analytics.podcast_episodes SET episode_title = trim(episode_title)")

    # ------------------------------------------------------------------ podcast streams
    x("""
    CREATE TEMP TABLE podcast_users AS
    SELECT user_id, is_test, a_start, active_days, country_code, utc_offset_hours, primary_device,
           CASE WHEN podcast_language <> 'en' AND rnd(user_id, 122) < 0.7 THEN podcast_language
                ELSE 'en' END AS language_code,
           CASE WHEN active_days <= 0 THEN 0
                ELSE podcast_engagement * active_days END AS pw
    FROM user_weights
    WHERE is_test OR rnd(user_id, 123) < 0.38
    """)
    x(
        _cdf(
            "podcast_user_cdf",
            f"""
        SELECT * REPLACE (CASE WHEN is_test
            THEN (SELECT sum(pw) FROM podcast_users WHERE NOT is_test) * {TEST_ACCOUNT_SHARE}
                 / (1 - {TEST_ACCOUNT_SHARE}) / 99
            ELSE pw END::BIGINT AS pw)
        FROM podcast_users""",
            "user_id",
            "pw",
        )
    )
    x(
        _cdf(
            "show_cdf",
            """
        SELECT show_id, language_code, launched_on, cadence_days, n_episodes, first_episode_id,
               (1 + floor(8000 * popularity))::BIGINT * (CASE WHEN is_exclusive THEN 4 ELSE 1 END)
                 AS w
        FROM shows2""",
            "show_id",
            "w",
            by="language_code",
        )
    )
    x(f"""
    CREATE TEMP TABLE ps1 AS
    WITH s AS (
      SELECT i, floor(rnd(i, 501) * (SELECT max(cum_total) FROM podcast_user_cdf))::BIGINT AS x
      FROM range({n_pod}) r(i)),
    u AS (
      SELECT s.i, u.user_id, u.is_test, u.country_code, u.primary_device, u.language_code,
             u.a_start + floor(rnd(s.i, 502) * u.active_days)::INTEGER AS local_day,
             u.utc_offset_hours
      FROM s ASOF JOIN podcast_user_cdf u ON s.x >= u.cum_lo),
    t AS (
      SELECT u.*, g.grp_lo + floor(rnd(i, 503) * g.cum_total)::BIGINT AS sx,
             local_day::TIMESTAMP
               + to_seconds(floor(CASE WHEN rnd(i, 504) < 0.45
                                       THEN 6 * 3600 + rnd(i, 505) * 4 * 3600
                                       ELSE rnd(i, 505) * 86399 END))
               - to_seconds(utc_offset_hours * 3600) AS stream_ts
      FROM u JOIN (SELECT DISTINCT language_code, grp_lo, cum_total FROM show_cdf) g
             USING (language_code))
    SELECT t.i, t.user_id, t.is_test, t.country_code, t.primary_device, t.stream_ts,
           t.stream_ts::DATE AS stream_date, sh.show_id,
           least(floor((t.stream_ts::DATE - sh.launched_on) / sh.cadence_days)::INTEGER,
                 sh.n_episodes - 1) AS latest_n,
           sh.first_episode_id
    FROM t ASOF JOIN show_cdf sh ON t.sx >= sh.cum_lo
    WHERE sh.launched_on <= t.stream_ts::DATE AND t.stream_ts::DATE BETWEEN {ws} AND {we}
    """)
    x("""
    CREATE TEMP TABLE ps2 AS
    SELECT p.*, e.episode_id, e.duration_seconds
    FROM (SELECT *, first_episode_id + latest_n
                    - floor(pow(rnd(i, 506), 5) * (latest_n + 1))::INTEGER AS episode_id
          FROM ps1) p
    JOIN analytics.podcast_episodes e USING (episode_id)
    WHERE e.removed_on IS NULL OR e.removed_on > p.stream_date
    """)
    x("""
    CREATE TABLE analytics.podcast_streams AS
    WITH t AS (
      SELECT p.*,
        CASE WHEN rnd(i, 507) < 0.17 THEN 3 + floor(rnd(i, 508) * 56)
             -- short episodes are finished far more often than long ones
             WHEN rnd(i, 507) < 0.17 + greatest(0.12, 0.6 - duration_seconds / 8000.0)
               THEN duration_seconds - floor(rnd(i, 508) * 0.04 * duration_seconds)
             ELSE 60 + floor(rnd(i, 508) * greatest(1, duration_seconds * 0.94 - 60))
        END::INTEGER AS seconds_played,
        CASE WHEN is_test OR rnd(i, 509) < 0.62 THEN primary_device
             WHEN rnd(i, 510) < 0.35 THEN 'smart_speaker'
             WHEN rnd(i, 510) < 0.65 THEN 'car'
             WHEN rnd(i, 510) < 0.85 THEN 'desktop' ELSE 'web' END AS device_type
      FROM ps2 p)
    SELECT row_number() OVER (ORDER BY stream_ts, i)::BIGINT AS podcast_stream_id,
           stream_ts, stream_date, user_id::INTEGER AS user_id, episode_id::INTEGER AS episode_id,
           show_id::INTEGER AS show_id,
           country_code, device_type, seconds_played,
           seconds_played >= 0.95 * duration_seconds AS is_completed
    FROM t ORDER BY podcast_stream_id
    """)
    x(f"""
    CREATE TABLE analytics.show_follows AS
    WITH s AS (
      SELECT i, floor(rnd(i, 601) * (SELECT max(cum_total) FROM podcast_user_cdf))::BIGINT AS x
      FROM range({n_follow}) r(i)),
    u AS (SELECT s.i, u.user_id, u.is_test, u.a_start, u.active_days, u.language_code
          FROM s ASOF JOIN podcast_user_cdf u ON s.x >= u.cum_lo
          WHERE NOT u.is_test),
    t AS (SELECT u.*, g.grp_lo + floor(rnd(i, 602) * g.cum_total)::BIGINT AS sx
          FROM u JOIN (SELECT DISTINCT language_code, grp_lo, cum_total FROM show_cdf) g
               USING (language_code)),
    f AS (
      SELECT t.i, t.user_id, sh.show_id,
             greatest(t.a_start, sh.launched_on) AS from_day,
             t.a_start + t.active_days - 1 AS to_day
      FROM t ASOF JOIN show_cdf sh ON t.sx >= sh.cum_lo),
    g AS (
      SELECT i, user_id, show_id,
             (from_day + floor(rnd(i, 603) * (to_day - from_day + 1))::INTEGER)::TIMESTAMP
               + to_seconds(floor(rnd(i, 604) * 86399)) AS followed_at
      FROM f WHERE to_day >= from_day)
    SELECT user_id::INTEGER AS user_id, show_id::INTEGER AS show_id, followed_at,
           CASE WHEN rnd(i, 605) < 0.14
                 AND followed_at + to_days(5 + floor(rnd(i, 606) * 400)::INTEGER)
                     <= {we}::TIMESTAMP
                THEN followed_at + to_days(5 + floor(rnd(i, 606) * 400)::INTEGER)
                     + to_seconds(floor(rnd(i, 607) * 86399)) END AS unfollowed_at
    FROM g
    QUALIFY row_number() OVER (PARTITION BY user_id, show_id ORDER BY followed_at, i) = 1
    ORDER BY followed_at, user_id, show_id
    """)

    # ------------------------------------------------------------------ subscriptions
    pick_plan = """
      CASE WHEN rnd({k}, {s}) < 0.56 THEN 2
           WHEN rnd({k}, {s}) < 0.74 THEN (CASE WHEN {start} >= DATE '2017-05-15' THEN 3 ELSE 2 END)
           WHEN rnd({k}, {s}) < 0.87 THEN (CASE WHEN {start} >= DATE '2020-03-10' THEN 5 ELSE 2 END)
           ELSE (CASE WHEN {start} >= DATE '2018-09-01' AND year({start}) - birth_year <= 26
                      THEN 4 ELSE 2 END) END"""
    mean_months = "(CASE {plan} WHEN 2 THEN 38 WHEN 3 THEN 56 WHEN 5 THEN 44 ELSE 14 END)"
    x("""
    CREATE TEMP TABLE sub_users AS
    SELECT user_id, signup_date, active_until, deleted_at, birth_year, is_test
    FROM users_full
    WHERE NOT is_test AND rnd(user_id, 701) < least(0.85, sub_rate * 1.4)
    """)
    x(f"""
    CREATE TEMP TABLE spell1 AS
    WITH s AS (
      SELECT u.*, 1 AS spell,
             u.signup_date + floor(pow(rnd(user_id, 702), 2) * 420)::INTEGER AS started_at
      FROM sub_users u)
    SELECT s.*, {pick_plan.format(k="user_id", s=703, start="started_at")} AS plan_id,
           rnd(user_id, 704) < 0.6 AS started_with_trial
    FROM s WHERE started_at < least(active_until, {we})
    """)
    # Spells are built one after the other: a user may come back after cancelling.
    x(f"CREATE TEMP TABLE spells AS SELECT *, {_ended_at(mean_months)} FROM spell1")
    for n in (2, 3):
        x(f"""
        INSERT INTO spells
        WITH prev AS (
          SELECT user_id, signup_date, active_until, deleted_at, birth_year, is_test,
                 {n} AS spell,
                 ended_at + (20 + floor(rnd(user_id, 710 + {n}) * 300))::INTEGER AS started_at
          FROM spells
          WHERE spell = {n - 1} AND ended_at IS NOT NULL
            AND rnd(user_id, 720 + {n}) < {0.5 if n == 2 else 0.35}),
        s AS (
          SELECT prev.*, {pick_plan.format(k=f"user_id * 3 + {n}", s=730 + n, start="started_at")}
                   AS plan_id,
                 false AS started_with_trial
          FROM prev WHERE started_at < least(active_until, {we}))
        SELECT *, {_ended_at(mean_months)} FROM s
        """)
    # Internal test accounts: one long-running subscription each, every paid plan covered.
    x("""
    INSERT INTO spells
    SELECT user_id, signup_date, active_until, deleted_at, birth_year, is_test, 1 AS spell,
           DATE '2023-01-02' + (user_id * 3)::INTEGER AS started_at,
           2 + (user_id % 4)::INTEGER AS plan_id, false AS started_with_trial,
           NULL::DATE AS ended_at
    FROM users_full WHERE is_test
    """)
    x(f"""
    CREATE TABLE analytics.subscriptions AS
    WITH s AS (SELECT * FROM spells WHERE started_at <= {we})
    SELECT row_number() OVER (ORDER BY started_at, user_id, spell)::INTEGER AS subscription_id,
           user_id::INTEGER AS user_id, plan_id, started_at,
           CASE WHEN started_with_trial THEN started_at + INTERVAL 1 MONTH END::DATE
             AS trial_ends_at,
           CASE WHEN ended_at IS NOT NULL AND ended_at <= {we} THEN ended_at END AS ended_at,
           CASE WHEN ended_at IS NULL OR ended_at > {we} THEN 'active'
                WHEN rnd(user_id * 5 + spell, 741) < 0.13 THEN 'lapsed'
                ELSE 'cancelled' END AS status,
           CASE WHEN ended_at IS NULL OR ended_at > {we} THEN NULL
                WHEN rnd(user_id * 5 + spell, 741) < 0.13 THEN 'payment_failed'
                WHEN deleted_at IS NOT NULL AND ended_at >= active_until THEN 'account_deleted'
                WHEN rnd(user_id * 5 + spell, 742) < 0.30 THEN 'too_expensive'
                WHEN rnd(user_id * 5 + spell, 742) < 0.55 THEN 'not_using_enough'
                WHEN rnd(user_id * 5 + spell, 742) < 0.70 THEN 'switched_service'
                WHEN rnd(user_id * 5 + spell, 742) < 0.85 THEN 'moved_to_free'
                ELSE 'other' END AS cancel_reason,
           started_with_trial
    FROM s ORDER BY subscription_id
    """)

    # ------------------------------------------------------------------ payments
    x(f"""
    CREATE TEMP TABLE billing AS
    WITH s AS (
      SELECT s.*, u.country_code, c.price_index,
             coalesce(s.ended_at, {we} + 1) AS end_excl
      FROM analytics.subscriptions s JOIN users_full u USING (user_id)
           JOIN country_meta c ON c.country_code = u.country_code),
    m AS (
      SELECT s.*, unnest(range(CASE WHEN started_with_trial THEN 1 ELSE 0 END,
                               date_diff('month', started_at, end_excl) + 1)) AS n
      FROM s)
    SELECT m.*, (started_at + to_months(n::INTEGER))::DATE AS billing_date,
           n = max(n) OVER (PARTITION BY subscription_id) AS is_last
    FROM m WHERE (started_at + to_months(n::INTEGER))::DATE < end_excl
    """)
    x("""
    CREATE TEMP TABLE billing_priced AS
    SELECT b.*,
      (CASE plan_id
         WHEN 2 THEN (CASE WHEN billing_date < DATE '2023-07-01' THEN 999
                           WHEN billing_date < DATE '2025-07-01' THEN 1099 ELSE 1199 END)
         WHEN 3 THEN (CASE WHEN billing_date < DATE '2023-07-01' THEN 1499
                           WHEN billing_date < DATE '2025-07-01' THEN 1799 ELSE 1999 END)
         WHEN 4 THEN (CASE WHEN billing_date < DATE '2023-07-01' THEN 499 ELSE 599 END)
         WHEN 5 THEN (CASE WHEN billing_date < DATE '2023-07-01' THEN 1299
                           WHEN billing_date < DATE '2025-07-01' THEN 1499 ELSE 1699 END)
       END) AS list_price,
      billing_date::TIMESTAMP + to_seconds(2 * 3600 + floor(rnd(subscription_id * 64 + n, 801)
                                                           * 4 * 3600)) AS billed_ts,
      CASE WHEN rnd(user_id, 802) < 0.55 THEN 'card'
           WHEN rnd(user_id, 802) < 0.68 THEN 'paypal'
           WHEN rnd(user_id, 802) < 0.78 THEN 'apple_iap'
           WHEN rnd(user_id, 802) < 0.88 THEN 'google_play'
           WHEN rnd(user_id, 802) < 0.97 THEN
             (CASE WHEN country_code IN ('ID', 'PH', 'IN', 'NG', 'MX', 'BR', 'TR')
                   THEN 'carrier_billing'
                   ELSE 'card' END)
           ELSE 'gift_card' END AS payment_method
    FROM billing b
    """)
    x(f"""
    CREATE TABLE analytics.payments AS
    WITH p AS (
      SELECT subscription_id, user_id, plan_id, country_code, payment_method, n, 1 AS attempt,
             billed_ts AS payment_ts,
             greatest(99, round(list_price * price_index / 50) * 50 - 1)::INTEGER AS amount_cents,
             CASE WHEN status = 'lapsed' AND is_last THEN 'failed'
                  WHEN rnd(subscription_id * 64 + n, 803) < 0.011 THEN 'refunded'
                  ELSE 'succeeded' END AS status
      FROM billing_priced
      UNION ALL
      -- a declined first attempt, retried successfully three days later
      SELECT subscription_id, user_id, plan_id, country_code, payment_method, n, 0 AS attempt,
             billed_ts - INTERVAL 3 DAY,
             greatest(99, round(list_price * price_index / 50) * 50 - 1)::INTEGER,
             'failed'
      FROM billing_priced
      WHERE NOT (status = 'lapsed' AND is_last)
        AND rnd(subscription_id * 64 + n, 804) < (CASE payment_method
              WHEN 'card' THEN 0.045 WHEN 'paypal' THEN 0.03 WHEN 'apple_iap' THEN 0.018
              WHEN 'google_play' THEN 0.025 WHEN 'carrier_billing' THEN 0.085 ELSE 0.06 END)
        AND billed_ts - INTERVAL 3 DAY >= started_at::TIMESTAMP)
    SELECT row_number() OVER (ORDER BY payment_ts, subscription_id, attempt)::BIGINT AS payment_id,
           subscription_id, user_id, plan_id, payment_ts, payment_ts::DATE AS payment_date,
           country_code AS billing_country, amount_cents, 'USD' AS currency_code, status,
           payment_method
    FROM p WHERE payment_ts::DATE <= {we}
    ORDER BY payment_id
    """)

    # ------------------------------------------------------------------ users (last: needs plans)
    country_codes = _sql_list([c[0] for c in COUNTRIES])
    x(f"""
    CREATE TABLE analytics.users AS
    WITH current_sub AS (
      SELECT s.user_id, p.plan_name FROM analytics.subscriptions s
      JOIN analytics.plans p USING (plan_id) WHERE s.ended_at IS NULL)
    SELECT u.user_id::INTEGER AS user_id, u.signup_date, u.country_code,
           CASE WHEN u.is_test THEN 'SE'
                WHEN u.signup_date >= DATE '2024-03-01' THEN NULL
                WHEN rnd(u.user_id, 130) < 0.82 THEN u.country_code
                WHEN rnd(u.user_id, 130) < 0.92 THEN pick(u.user_id, 131, {country_codes})
           END AS country_legacy,
           CASE WHEN u.deleted_at IS NULL THEN u.birth_year END AS birth_year,
           CASE WHEN u.deleted_at IS NULL THEN u.gender END AS gender,
           u.signup_channel,
           coalesce(cs.plan_name, 'free') AS current_plan,
           u.deleted_at IS NOT NULL AS is_deleted,
           u.deleted_at
    FROM users_full u LEFT JOIN current_sub cs USING (user_id)
    ORDER BY user_id
    """)


def _ended_at(mean_months: str) -> str:
    """When a subscription spell ends: a number of months (geometric-ish), or when the user left."""
    # A third of trials are cancelled before the first charge.
    months = (
        f"(CASE WHEN started_with_trial AND rnd(user_id * 7 + spell, 706) < 0.32 THEN 1 "
        f"ELSE 1 + floor(-ln(1 - rnd(user_id * 7 + spell, 705)) * "
        f"{mean_months.format(plan='plan_id')}) END)::INTEGER"
    )
    return (
        f"CASE WHEN least((started_at + to_months({months}))::DATE, active_until) "
        f"<= DATE '{WINDOW_END}' "
        f"THEN greatest(started_at + 1, least((started_at + to_months({months}))::DATE, "
        f"active_until)) END AS ended_at"
    )


TABLES = [
    "countries",
    "plans",
    "users",
    "artists",
    "albums",
    "tracks",
    "streams",
    "podcast_shows",
    "podcast_episodes",
    "podcast_streams",
    "show_follows",
    "subscriptions",
    "payments",
]


def summary(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str]]:
    """Row count and an order-independent checksum for every table."""
    out = []
    for table in TABLES:
        row = con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) % 18446744073709551616 "
            f"FROM analytics.{table} t"
        ).fetchone()
        assert row is not None  # an aggregate always returns one row
        rows, checksum = row
        out.append((f"analytics.{table}", int(rows), f"{int(checksum):016x}"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="DuckDB file to write")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply users and events by this (the catalogue stays the same)",
    )
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")

    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    for leftover in (tmp, Path(f"{tmp}.wal")):
        leftover.unlink(missing_ok=True)

    started = time.perf_counter()
    try:
        con = duckdb.connect(str(tmp))
        try:
            build(con, args.scale)
            rows = summary(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        tmp.replace(out)
    finally:
        for leftover in (tmp, Path(f"{tmp}.wal")):
            leftover.unlink(missing_ok=True)
    elapsed = time.perf_counter() - started

    width = max(len(name) for name, _, _ in rows)
    print(f"Wrote {out} (scale {args.scale:g}) in {elapsed:.1f}s")
    for name, count, checksum in rows:
        print(f"  {name:<{width}}  {count:>10,}  {checksum}")
    print(f"  {'total':<{width}}  {sum(c for _, c, _ in rows):>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
