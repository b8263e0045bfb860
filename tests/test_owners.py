"""The owner model: parameters as data, seeded draws, the distributions' means, trace files."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from testbed.errors import ConfigError
from testbed.now.owners import (
    Activity,
    Hyperexponential,
    Weibull,
    generate,
    load_model,
    model_names,
    owner_model,
    read_trace,
)

HOSTS = ["dec1", "ipc1", "dec2", "ipc2"]


def test_every_shipped_model_loads_with_sources() -> None:
    assert {"mutka91", "wyckoff98"} <= set(model_names())
    for name in model_names():
        m = owner_model(name)
        assert 0.0 < m.natural_busy_fraction() < 1.0
        assert 0.0 < m.guest_share < 1.0


def test_same_seed_same_owners_and_another_seed_others() -> None:
    m = owner_model()
    a = generate(m, HOSTS, 8 * 3600, seed=3, busy=0.5)
    b = generate(m, HOSTS, 8 * 3600, seed=3, busy=0.5)
    c = generate(m, HOSTS, 8 * 3600, seed=4, busy=0.5)
    assert [x.periods for x in a.activity.values()] == [x.periods for x in b.activity.values()]
    assert [x.periods for x in a.activity.values()] != [x.periods for x in c.activity.values()]
    # a host's owner does not depend on which other hosts exist
    alone = generate(m, ["ipc1"], 8 * 3600, seed=3, busy=0.5)
    assert alone.activity["ipc1"].periods == a.activity["ipc1"].periods


@pytest.mark.parametrize("name", ["mutka91", "wyckoff98"])
def test_idle_distribution_mean_matches_its_parameters(name: str) -> None:
    dist = owner_model(name).idle
    rng = random.Random(7)
    draws = [dist.draw(rng) for _ in range(40_000)]
    assert sum(draws) / len(draws) == pytest.approx(dist.mean(), rel=0.04)


def test_the_means_are_the_formulas() -> None:
    m = owner_model("mutka91")
    assert isinstance(m.idle, Hyperexponential)
    assert m.idle.mean() == pytest.approx((0.6 * 6 + 0.4 * 66) * 60)
    w = owner_model("wyckoff98").idle
    assert isinstance(w, Weibull)
    assert w.mean() == pytest.approx(2 * 15 * 60)  # Gamma(1 + 1/0.5) = 2


def _flat_model(tmp_path: Path) -> Path:
    """mutka91 without host spread or nights: the busy fraction is exactly what --busy asks."""
    text = (Path(__file__).parents[1] / "testbed/profiles/owners/mutka91.toml").read_text()
    text = text.replace('idle_spread = { value = 0.8', 'idle_spread = { value = 0.0')
    text = text.replace('night_idle_factor = { value = 3,', 'night_idle_factor = { value = 1,')
    path = tmp_path / "flat.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("busy", [0.25, 0.5, 0.75])
def test_busy_fraction_is_what_was_asked(tmp_path: Path, busy: float) -> None:
    m = load_model(_flat_model(tmp_path))
    owners = generate(m, [f"h{i}" for i in range(20)], 48 * 3600, seed=1, busy=busy)
    assert owners.busy_fraction() == pytest.approx(busy, abs=0.03)


def test_nights_are_quieter_and_hosts_differ() -> None:
    m = owner_model("mutka91")
    night = generate(m, [f"h{i}" for i in range(20)], 24 * 3600, seed=2, busy=0.5)
    # the period starts at 9:00: hours 0-9 are day, 9-21 contain the night from 18:00
    day = sum(a.busy_seconds(0, 9 * 3600) for a in night.activity.values()) / (20 * 9 * 3600)
    dark = sum(a.busy_seconds(10 * 3600, 22 * 3600) for a in night.activity.values()) / (20 * 12 * 3600)
    assert dark < day
    fractions = [a.busy_seconds(0, 9 * 3600) / (9 * 3600) for a in night.activity.values()]
    assert max(fractions) - min(fractions) > 0.3


def test_always_and_never_busy() -> None:
    m = owner_model()
    assert generate(m, HOSTS, 600, 0, busy=0.0).busy_fraction() == 0.0
    assert generate(m, HOSTS, 600, 0, busy=1.0).busy_fraction() == 1.0
    with pytest.raises(ConfigError, match="--busy must be a fraction"):
        generate(m, HOSTS, 600, 0, busy=1.5)


def test_activity_queries() -> None:
    a = Activity([(10.0, 20.0), (30.0, 40.0)])
    assert not a.busy_at(5.0) and a.busy_at(10.0) and not a.busy_at(20.0)
    assert a.busy_seconds(15.0, 35.0) == 10.0
    assert a.idle_since(25.0) == 20.0 and a.idle_since(35.0) == 35.0 and a.idle_since(5.0) == 0.0


def test_trace_file_is_read_and_written(tmp_path: Path) -> None:
    path = tmp_path / "owners.csv"
    path.write_text("# a day in the lab\nhost,start,end\ndec1,10,20.5\n\nipc1, 0, 5\ndec1,30,40\n")
    owners = read_trace(path, HOSTS, 100.0)
    assert owners.activity["dec1"].periods == [(10.0, 20.5), (30.0, 40.0)]
    assert owners.activity["ipc1"].periods == [(0.0, 5.0)]
    assert owners.activity["dec2"].periods == []
    again = tmp_path / "again.csv"
    owners.write_trace(again)
    assert read_trace(again, HOSTS, 100.0).activity["dec1"].periods == owners.activity["dec1"].periods


@pytest.mark.parametrize("body, message", [
    ("start,end,host\n", "header host,start,end"),
    ("host,start,end\nsun9,1,2\n", "line 2: host 'sun9' is not in the cluster"),
    ("host,start,end\ndec1,5,5\n", "line 2: a period needs 0 <= start < end"),
    ("host,start,end\ndec1,five,6\n", "line 2: start and end must be seconds"),
    ("host,start,end\ndec1,1,10\ndec1,5,20\n", "busy periods of dec1 overlap"),
    ("host,start,end\ndec1,1\n", "expected host,start,end"),
])
def test_bad_trace_files_are_one_line_errors(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(ConfigError, match=message):
        read_trace(path, HOSTS, 100.0)


def test_a_parameter_without_a_source_is_refused(tmp_path: Path) -> None:
    text = _flat_model(tmp_path).read_text().replace(
        'shape', 'x').replace('p_short    = { value = 0.6, unit = "fraction", source', 'p_short = { value = 0.6, unit = "fraction", nosource')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match="idle.p_short"):
        load_model(bad)
    bad.write_text(text.replace('kind = "hyperexponential"', 'kind = "pareto"', 1))
    with pytest.raises(ConfigError, match="kind must be one of"):
        load_model(bad)
