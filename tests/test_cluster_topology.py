"""Clusters as data: the shipped files, extends, and one readable line for a bad file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbed.cli import main
from testbed.cluster.topology import cluster, cluster_names, load_cluster
from testbed.emu.isa import ISAS
from testbed.errors import ConfigError


def test_snow18_is_the_original_environment() -> None:
    snow = cluster("snow18")
    names = [h.name for h in snow.hosts]
    assert names == [f"ipc{i}" for i in range(1, 5)] + [f"dec{i}" for i in range(1, 15)]
    assert {h.machine for h in snow.hosts[:4]} == {"ipc"} and {h.isa for h in snow.hosts[:4]} == {"sparc"}
    assert {h.machine for h in snow.hosts[4:]} == {"dec5000"} and {h.isa for h in snow.hosts[4:]} == {"mipsel"}
    assert snow.segments == {"ether0": "10mbps"}
    assert snow.hosts[0].clock_hz == 25e6 and snow.hosts[4].clock_hz == 20e6


def test_snow18_100_differs_only_in_the_network() -> None:
    fast, slow = cluster("snow18-100"), cluster("snow18")
    assert fast.segments == {"ether0": "100mbps"}
    assert fast.hosts == slow.hosts and fast.pvmd == slow.pvmd
    assert slow.with_network("100mbps").segments == fast.segments


def test_every_shipped_cluster_loads_and_mixes_byte_orders() -> None:
    assert {"snow18", "snow18-100", "pair", "mixed4", "mixed64", "solo"} <= set(cluster_names())
    for name in set(cluster_names()) - {"solo"}:  # solo mirrors a one-host real PVM
        assert {ISAS[h.isa].big_endian for h in cluster(name).hosts} == {False, True}, name
    # mixed64 has one host of each word size and byte order
    assert {(ISAS[h.isa].word_size, ISAS[h.isa].big_endian) for h in cluster("mixed64").hosts} == \
        {(4, False), (4, True), (8, False), (8, True)}


def test_pvmd_hop_scales_with_the_host_clock() -> None:
    pvmd = cluster("snow18").pvmd
    assert pvmd.hop_seconds(20e6, 1000) == pytest.approx(pvmd.hop_seconds(25e6, 1000) * 25 / 20)
    assert pvmd.hop_seconds(20e6, 2000) > pvmd.hop_seconds(20e6, 1000)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "message"), [
    ('extends = "snow18"\n[[hosts]]\nname = "x"\nmachine = "vax"\nsegment = "ether0"\n', "unknown machine 'vax'"),
    ('extends = "snow18"\n[[hosts]]\nname = "x"\nmachine = "ipc"\nsegment = "ether9"\n', "segment 'ether9' is not defined"),
    ('extends = "snow18"\n[[hosts]]\nname = "x"\nmachine = "ipc"\nsegment = "ether0"\n'
     '[[hosts]]\nname = "x"\nmachine = "ipc"\nsegment = "ether0"\n', "defined twice"),
    ('extends = "snow18"\n[pvmd]\nper_byte = { value = 2, unit = "MHz", source = "x" }\n', "cannot be converted"),
    ('extends = "nowhere"\n', "extends unknown cluster 'nowhere'"),
])
def test_a_bad_cluster_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_cluster(_write(tmp_path, text))
    assert "\n" not in str(info.value)


def test_unknown_cluster_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="valid clusters: .*snow18"):
        cluster("snow99")


def test_cluster_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "list", "--json"]) == 0
    rows = {row["cluster"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["snow18"]["machines"] == {"ipc": 4, "dec5000": 14}


def test_quick_scalability_study_loads() -> None:
    from testbed.cluster.study import load_study

    project = Path(__file__).resolve().parent.parent
    full = load_study(project / "experiments" / "scalability.toml")
    quick = load_study(project / "experiments" / "scalability.toml", quick=True)
    assert full.workers == (1, 2, 4, 8, 16) and full.networks == ("10mbps", "100mbps")
    assert full.sizes == ("paper1", "paper2") and quick.program == full.program == "pvm_matmul"
    assert quick.workers == (1, 2, 4)
