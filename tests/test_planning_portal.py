"""Planning in the portal and the public disclosure of draws (一公开), on the demo records.

- the disclosure (``compute.disclosure``) holds each draw, its seed and source, hashes and sizes,
  the selected institutions and inspectors (staff IDs) and, after the inspection, its outcome;
  it holds no confidential value and no finding text, even when the inspection carries them;
- the build writes it to ``公开/双随机.json`` and ``.csv`` and the leak scan reads those files;
- the 双随机, sampling-plans and extrapolations pages render and link; the case citing an
  extrapolation says how its amount was reached; a KPI counting drawn inspections links to the draws.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from yibao.compute import disclosure
from yibao.core.record import Record
from yibao.publish import pages as P
from yibao.publish import planning
from yibao.publish import portal
from yibao.publish.visible import Visibility

from portal_demo import project_records, site_as_of

PROJECT = Path(__file__).resolve().parents[1]
DRAW = "CQ-2024-4MXBFV"
DONE, NO_FINDINGS, PHARMACY, PLANNED = "JC-2024-8Q2SJ4", "JC-2024-R7K3DW", "JC-2024-6TNV2M", "JC-2024-XB90QH"
CASE_FROM_DRAW = "AJ-2024-K2SJ7D"
CASE_EXTRAPOLATED = "AJ-2024-43TGWJ"
PLANTED_EVIDENCE = "证据材料机密标记DR7Q4：现场收费单照片"
#: what the public may know of an inspection (a new key must be a deliberate decision)
OUTCOME_KEYS = {"id", "status", "carried_out", "start_date", "end_date", "findings", "violation_types", "case_opened"}


@pytest.fixture(scope="module")
def demo():
    return project_records()


def _site(schemas, records, day: str) -> P.Site:
    return site_as_of(schemas, records, day)


def _draw(schemas, records, day: str) -> dict:
    found = [d for d in disclosure.draws_disclosure(records, schemas, dt.date.fromisoformat(day)) if d["draw"] == DRAW]
    assert len(found) == 1
    return found[0]


def test_disclosure_holds_the_draw_what_it_selected_and_the_outcomes(demo):
    schemas, records = demo
    draw = _draw(schemas, records, "2024-10-15")
    assert draw["date"] == "2024-08-12" and draw["contract"] == "HT-2024-CJ" and draw["algorithm"] == "sha256-rank-v1"
    assert "上证综指" in draw["seed"] and "事先确定" in draw["seed_source"]
    assert draw["frame"]["size"] == 113 and len(draw["frame"]["ids_sha256"]) == 64
    assert draw["pool"]["size"] == 3 and len(draw["pool"]["ids_sha256"]) == 64
    selected = {e["institution"]: e for e in draw["selected"]}
    assert list(selected) == ["H53048100002", "H53048100003", "P53048100378", "P53048100684"]
    assert selected["H53048100002"]["institution_name"] == "澄江市抚仙湖中医医院（虚构）"
    assert selected["H53048100002"]["inspectors"] == ["RY-3TTRT8", "RY-KZKKEV"]
    done = selected["H53048100002"]["inspection"]
    assert set(done) == OUTCOME_KEYS
    assert done == {"id": DONE, "status": "报告已采纳", "carried_out": True, "start_date": "2024-08-26", "end_date": "2024-08-28",
                    "findings": 2, "violation_types": ["超标准收费", "重复收费"], "case_opened": True}
    assert selected["H53048100003"]["inspection"]["findings"] == 0
    assert selected["H53048100003"]["inspection"]["case_opened"] is False
    assert selected["P53048100684"]["inspection"] is None  # its inspection starts in December
    late = {e["institution"]: e for e in _draw(schemas, records, "2024-12-31")["selected"]}
    assert late["P53048100684"]["inspection"]["carried_out"] is False and late["P53048100684"]["inspection"]["id"] == PLANNED


def test_disclosure_follows_the_date(demo):
    schemas, records = demo
    assert not [d for d in disclosure.draws_disclosure(records, schemas, dt.date(2024, 8, 11)) if d["draw"] == DRAW]
    during = {e["institution"]: e["inspection"] for e in _draw(schemas, records, "2024-08-27")["selected"]}
    assert during["H53048100002"]["end_date"] is None and during["H53048100002"]["findings"] is None  # still on site
    assert during["H53048100003"] is None


def test_disclosure_holds_no_confidential_value_nor_finding_text(demo):
    schemas, records = demo
    planted = []
    for record in records:
        if record.id == DONE:  # evidence (x-confidential) planted in the drawn inspection's findings
            data = copy.deepcopy(record.data)
            data["findings"][0]["evidence"] = PLANTED_EVIDENCE
            record = Record(record.kind, record.path, data)
        planted.append(record)
    data = disclosure.draws_disclosure(planted, schemas, dt.date(2024, 12, 31))
    texts = json.dumps(data, ensure_ascii=False) + disclosure.to_csv(data)
    vis = Visibility(schemas)
    secrets = {v for r in planted for v in vis.secrets(r.kind, r.data) if isinstance(v, str) and len(v) >= 6}
    assert PLANTED_EVIDENCE in secrets
    assert not [s for s in secrets if s in texts]
    inspection = next(r for r in planted if r.id == DONE)
    for finding in inspection.get("findings"):
        assert finding["description"] not in texts and str(finding["amount"]) not in texts
    assert "澄江市抚仙湖中医医院（虚构）" in texts and DONE in texts
    assert CASE_FROM_DRAW not in texts  # whether a case was opened, never which


def test_csv_has_one_row_per_selected_institution(demo):
    schemas, records = demo
    text = disclosure.to_csv([_draw(schemas, records, "2024-10-15")])
    assert text.startswith("\ufeff抽取编号,")
    lines = text.strip("\ufeff\n").split("\n")
    assert len(lines) == 1 + 4
    assert lines[1].endswith(",JC-2024-8Q2SJ4,报告已采纳,是,2024-08-26,2024-08-28,2,超标准收费、重复收费,是")


def test_leak_scan_reads_the_disclosure_files(tmp_path):
    folder = tmp_path / planning.DISCLOSURE_DIR
    folder.mkdir()
    (folder / "双随机.json").write_text(json.dumps({"note": "举报原文机密标记QX7K9"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(portal.PortalError) as caught:
        portal.check_no_leak(tmp_path, {"举报原文机密标记QX7K9"})
    assert caught.value.code == "confidential-leak" and not folder.exists()
    folder.mkdir()
    (folder / "双随机.csv").write_text("机构,联系人身份证\nH53048100002,11010519491231002X\n", encoding="utf-8")
    with pytest.raises(portal.PortalError) as caught:
        portal.check_no_leak(tmp_path, set())
    assert caught.value.code == "personal-data-leak" and not folder.exists()
    folder.mkdir()
    (folder / "双随机.csv").write_text("机构\nH53048100002\n", encoding="utf-8")
    portal.check_no_leak(tmp_path, {"举报原文机密标记QX7K9"})  # clean files pass


def test_draws_page_shows_selection_outcomes_and_links(demo):
    schemas, records = demo
    site = _site(schemas, records, "2024-10-15")
    page, text = planning.draws_page(site)
    assert page == "draws/index.md"
    for href in (f'href="{DRAW}.html"', f'href="../inspections/{DONE}.html"', f'href="../institutions/H53048100002.html"',
                 f'href="../cases/{CASE_FROM_DRAW}.html"', 'href="../公开/双随机.json"', 'href="../公开/双随机.csv"'):
        assert href in text, href
    assert "尚无检查记录" in text and "超标准收费、重复收费" in text
    assert PLANNED not in text  # it does not exist yet on the date
    # the draw's own page exists and links back
    draw = site.get("draw", DRAW)
    record_page, record_text = P.record_page(site, draw)
    assert record_page == f"draws/{DRAW}.md" and 'href="index.html"' in record_text and f"yibao draw verify {draw.path}" in record_text
    assert site.href("inspections/x.md", "draw", DRAW) == f"../draws/{DRAW}.html"


def test_sampling_plans_page_counts_as_the_kpi_does(demo):
    schemas, records = demo
    site = _site(schemas, records, "2024-10-15")
    _, text = planning.plans_page(site)
    row = text[text.index("CY-2024-3YDJ95"):]
    cells = [c.split(">", 1)[-1] for c in row.split("</td>")[:12]]
    assert cells[6:10] == ["73", "90", "90", "75"], cells  # required, statistical, planned, sampled so far
    sampled, ids = planning.sampled_so_far(site, site.get("sampling_plan", "CY-2024-3YDJ95"))
    kpi = next(k for r in site.reports for k in r["kpis"] if k["id"] == "record_sampling_rate/H65020300052")
    assert sampled == kpi["numerator"] and ids and set(ids) <= set(kpi["records"])  # the KPI also lists visits that sampled nothing


def test_extrapolations_page_and_the_case_page_explain_the_amount(demo):
    schemas, records = demo
    site = _site(schemas, records, "2024-12-31")
    _, text = planning.extrapolations_page(site)
    for figure in ("616,580.80", "102,951.54", "483,515.98 至 749,645.62", "445,205.13 至 787,956.47", "411,620.03 至 821,541.57"):
        assert figure in text
    assert f'href="../cases/{CASE_EXTRAPOLATED}.html"' in text
    _, case_text = P.record_page(site, site.get("case", CASE_EXTRAPOLATED))
    assert "抽样外推认定金额的方法" in case_text
    assert "点估计为 616,580.80 元" in case_text and "标准误 102,951.54 元" in case_text
    assert "认定金额取这一双侧 90% 置信区间的下限 445,205.13 元" in case_text
    assert 'href="../extrapolations/JS-2024-7QK2MD.html"' in case_text
    _, other = P.record_page(site, site.get("case", CASE_FROM_DRAW))
    assert "抽样外推认定金额的方法" not in other


def test_kpi_drill_down_links_to_the_draws(demo):
    from yibao.publish import leaders

    schemas, records = demo
    site = _site(schemas, records, "2024-12-31")
    report = leaders.report_of(site, "HT-2024-CJ")
    kpi = next(k for k in report["kpis"] if k["id"] == "institutions_audited")
    page, text = leaders.drill_page(site, "HT-2024-CJ", kpi)
    assert page == "kpis/HT-2024-CJ/kpi-institutions_audited.md"
    assert 'href="../../draws/index.html"' in text and "3 项双随机抽查" in text
    klmy = leaders.report_of(site, "HT-2024-KLMY")
    for kpi in klmy["kpis"]:
        if leaders.has_drill_down(kpi):
            assert "draws/index.html" not in leaders.drill_page(site, "HT-2024-KLMY", kpi)[1]  # no drawn inspection counts there


def test_build_writes_the_disclosure_and_the_pages(tmp_path_factory):
    from portal_demo import built_demo

    built = built_demo(tmp_path_factory)
    assert built.rc == 0, built.stdout + built.stderr
    document = json.loads((built.output / planning.DISCLOSURE_JSON).read_text(encoding="utf-8"))
    assert document["as_of"] == "2024-10-15"
    draw = next(d for d in document["draws"] if d["draw"] == DRAW)
    assert draw["selected"][0]["inspection"]["case_opened"] is True
    assert (built.output / planning.DISCLOSURE_CSV).read_text(encoding="utf-8").count("\n") == 5
    for page in ("draws/index.html", f"draws/{DRAW}.html", "sampling-plans/index.html", "extrapolations/index.html"):
        assert (built.output / page).is_file(), page
    nav = (built.output / "index.html").read_text(encoding="utf-8")
    assert 'href="draws/index.html"' in nav and 'href="sampling-plans/index.html"' in nav
