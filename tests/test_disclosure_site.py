"""The public disclosure site (yibao disclose, publish.exposure): built from the demo into its own
folder, holding only disclosed decided cases and draw results; every file it writes is scanned here,
independently of the build's own scan, for undisclosed cases, confidential values and pseudonymous
codes; and the build's scan refuses a site that would carry one."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from demo_copy import copy_demo, edit

from yibao.core.money import yuan
from yibao.core.schemas import SchemaSet
from yibao.load.strict_yaml import load_bytes

PROJECT = Path(__file__).resolve().parents[1]
#: the demo's disclosed cases decided by 2024-12-31 (disclosed: true and a decision date)
DISCLOSED = {"AJ-2024-43TGWJ", "AJ-2024-HCXGJB", "AJ-2024-EKX5AD", "AJ-2024-8QTAZE", "AJ-2020-BYHTKX"}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def cases(root: Path) -> dict[str, dict]:
    out = {}
    for path in (root / "records" / "case").rglob("*.yaml"):
        data, _, _ = load_bytes(path.read_bytes())
        out[data["id"]] = data
    return out


def site_text(output: Path) -> dict[str, str]:
    import html

    return {p.relative_to(output).as_posix(): html.unescape(p.read_text(encoding="utf-8")) for p in output.rglob("*") if p.is_file()}


def test_the_demo_site_holds_only_what_may_be_published(demo, yibao, tmp_path):
    output = tmp_path / "site"
    run = yibao("disclose", "--as-of", "2024-12-31", "--output", str(output), "--no-cache", cwd=demo)
    assert run.rc == 0, run.out + run.err
    files = site_text(output)
    assert sorted(files) == ["draws.html", "index.html"]
    text = "\n".join(files.values())
    schemas = SchemaSet.load(demo / "schemas")
    vocab = schemas.vocabulary["$defs"]
    codes = [re.compile(vocab[name]["pattern"].strip("^$")) for name in ("person_code", "staff_id")]
    every = cases(demo)
    # no pseudonymous code of a person or of a staff member, anywhere
    assert not [c.pattern for c in codes if c.search(text)]
    # no case that is not disclosed (nor the IDs of disclosed ones: the site names institutions, not files)
    assert not [i for i in every if i in text]
    # no confidential value: whistle-blowers' texts and rewards, as written and as the site prints amounts
    secrets = [(c.get("lead_text"), c.get("whistleblower_reward")) for c in every.values()]
    assert [s for s in secrets if s[0] or s[1]], "the demo has confidential values to look for"
    for lead, reward in secrets:
        assert not lead or lead not in text
        assert reward is None or yuan(reward) not in text
    # what is there: each disclosed decided case's institution (or, for a person, only the type)
    for ident in DISCLOSED:
        institution = every[ident]["subject"].get("institution")
        name = load_bytes(next((demo / "records" / "institution").glob(f"{institution}.yaml")).read_bytes())[0]["name"]
        assert name in files["index.html"], ident
    assert "参保人员（个人信息不公开）" in files["index.html"]
    assert files["index.html"].count('class="case"') == len(DISCLOSED)
    assert "《医疗保障基金使用监督管理条例》第四十条" in files["index.html"] and "101,402.80 元" in files["index.html"]
    assert "澄江市抚仙湖中医医院（虚构）（H53048100002）" in files["draws.html"]
    # offline and on a phone: nothing fetched from elsewhere, a viewport
    assert not re.search(r"https?://|<script|<link|@import|src=", text)
    assert all('name="viewport"' in t and 'lang="zh-CN"' in t for t in files.values())


def test_a_case_decided_after_the_date_is_not_there_yet(demo, yibao, tmp_path):
    output = tmp_path / "site"
    assert yibao("disclose", "--as-of", "2024-08-15", "--output", str(output), "--no-cache", cwd=demo).rc == 0
    page = site_text(output)["index.html"]
    assert "众益大药房民主路店" not in page  # AJ-2024-HCXGJB, decided 2024-08-17
    assert "克拉玛依区和平花园社区卫生服务中心" in page  # AJ-2024-8QTAZE, decided 2024-08-12


def test_the_build_refuses_a_site_carrying_a_pseudonymous_code(demo, yibao, tmp_path):
    """An institution's name that carries a doctor's code: the scan catches it and removes the site."""
    edit(demo, "records/institution/H65020300791.yaml", "name: 克拉玛依区和平花园社区卫生服务中心（虚构）",
         "name: 克拉玛依区和平花园社区卫生服务中心（虚构，医师 YS-E1N983VG）")
    output = tmp_path / "site"
    run = yibao("disclose", "--as-of", "2024-12-31", "--output", str(output), "--no-cache", cwd=demo)
    assert run.rc == 1 and "disclosure-leak" in run.err and "人员化名编码" in run.err
    assert not output.exists()


def test_the_build_refuses_a_site_carrying_a_confidential_value(demo, yibao, tmp_path):
    """A whistle-blower's text copied into a published field (a disclosed case's institution name)."""
    lead = cases(demo)["AJ-2024-4WETZC"]["lead_text"]  # confidential (x-confidential), of a case not disclosed
    edit(demo, "records/institution/H65020300791.yaml", "name: 克拉玛依区和平花园社区卫生服务中心（虚构）", f"name: {lead}")
    output = tmp_path / "site"
    run = yibao("disclose", "--as-of", "2024-12-31", "--output", str(output), "--no-cache", cwd=demo)
    assert run.rc == 1 and "保密字段" in run.err and lead not in run.err
    assert not output.exists()


def test_the_output_may_not_be_the_repository(demo, yibao):
    run = yibao("disclose", "--output", str(demo / "records"), "--no-cache", cwd=demo)
    assert run.rc == 2
