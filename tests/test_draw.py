"""双随机 draws (compute.draw): the ranking is the shell's ``sha256sum``; strata, inspectors,
conflicts and the frame hash behave as documented."""
from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from yibao.compute import draw as d

SEED = "2024-06-03 上证综指收盘 3078.49"
IDS = ["H65020300001", "H65020300002", "H65020300003", "P65020300001", "P65020300002"]


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="no sha256sum")
def test_ranking_is_the_shells_sha256sum():
    by_shell = {}
    for ident in IDS:
        out = subprocess.run(["sh", "-c", 'printf \'%s\\n%s\' "$1" "$2" | sha256sum', "sh", SEED, ident],
                             capture_output=True, check=True).stdout.decode()
        by_shell[ident] = out.split()[0]
    assert all(by_shell[i] == d.rank_key(SEED, i) for i in IDS)
    assert d.rank(SEED, IDS) == sorted(IDS, key=lambda i: by_shell[i])
    assert d.pick(SEED, IDS, 2) == sorted(IDS, key=lambda i: by_shell[i])[:2]


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="no sha256sum")
def test_frame_hash_is_the_shells():
    joined = "\n".join(sorted(IDS))
    out = subprocess.run(["sh", "-c", 'printf \'%s\' "$1" | sha256sum', "sh", joined],
                         capture_output=True, check=True).stdout.decode()
    assert d.ids_sha256(reversed(IDS)) == out.split()[0]


def test_stratified_takes_k_per_stratum_in_draw_order():
    frame = {i: ("定点医疗机构" if i[0] == "H" else "定点零售药店") for i in IDS}
    got = d.run_draw(SEED, frame, ["RY-AAAAAA", "RY-BBBBBB", "RY-CCCCCC"], {"定点医疗机构": 2, "定点零售药店": 1}, 2)
    targets = [r["institution"] for r in got.result]
    assert targets == d.pick(SEED, IDS[:3], 2) + d.pick(SEED, IDS[3:], 1)
    assert got.strata == {"定点医疗机构": 3, "定点零售药店": 2} and got.frame_size == 5
    for r in got.result:
        assert len(r["inspectors"]) == 2
        assert r["inspectors"] == d.pick(f"{SEED}\ninspectors\n{r['institution']}", ["RY-AAAAAA", "RY-BBBBBB", "RY-CCCCCC"], 2)
    with pytest.raises(d.DrawError):
        d.run_draw(SEED, frame, ["RY-AAAAAA", "RY-BBBBBB"], {"定点零售药店": 3}, 2)


def test_conflicts_are_excluded():
    pool = ["RY-AAAAAA", "RY-BBBBBB", "RY-CCCCCC", "RY-DDDDDD"]
    free = d.run_draw(SEED, {IDS[0]: "x"}, pool, 1, 2)
    chosen = free.result[0]["inspectors"]
    bound = d.run_draw(SEED, {IDS[0]: "x"}, pool, 1, 2, {IDS[0]: chosen})
    assert set(bound.result[0]["inspectors"]) == set(pool) - set(chosen)
    with pytest.raises(d.DrawError):
        d.run_draw(SEED, {IDS[0]: "x"}, pool, 1, 2, {IDS[0]: pool[:3]})


def test_a_different_seed_draws_differently():
    many = [f"H650203{n:05d}" for n in range(40)]
    assert d.pick(SEED, many, 5) != d.pick(SEED + "0", many, 5)
    assert d.ids_sha256(many) == hashlib.sha256("\n".join(many).encode()).hexdigest()
