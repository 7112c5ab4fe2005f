"""The case file (一案一卷): documents in the records, the store outside git, ``yibao archive verify``.

Each test works on a copy of the demo repository (records and schemas) whose synthetic documents
``yibao archive demo-store`` writes into a store in a temp dir; each planted fault must be caught.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT
from yibao.core import archive
from yibao.core.data_files import ARCHIVE_PATTERN, is_archive_file, is_data_file
from yibao.core.schemas import SchemaSet
from yibao.check.personal_data import find_personal_data
from yibao.generate.archive_store import synthetic_bytes

DECIDED = "records/case/2024/AJ-2024-43TGWJ.yaml"  # hand-written, CJ, 已决定
INCOMPLETE = "records/case/2020/AJ-2020-VPA4NG.yaml"  # the demo's one case file without its 告知书


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("archive") / "repo"
    shutil.copytree(PROJECT / "schemas", root / "schemas")
    shutil.copytree(PROJECT / "templates", root / "templates")
    shutil.copytree(PROJECT / "records", root / "records")
    return root


@pytest.fixture
def demo(demo_copy, tmp_path) -> tuple[Path, Path]:
    """A fresh copy of the demo records and a store filled by ``yibao archive demo-store``."""
    root = tmp_path / "repo"
    shutil.copytree(demo_copy, root)
    store = tmp_path / "store"
    from yibao import cli

    assert cli.main(["-C", str(root), "archive", "demo-store", "--store", str(store)]) == 0
    return root, store


def entries(root: Path, relpath: str) -> list[dict]:
    return yaml.safe_load((root / relpath).read_text(encoding="utf-8"))["documents"]


def test_demo_cases_and_inspections_list_their_documents():
    from yibao.speed.run import check_repository

    schemas = SchemaSet.load(PROJECT / "schemas")
    records = check_repository(PROJECT, schemas, want_data=True).records
    kinds = {"inspection": 0, "case": 0}
    for record in records:
        if record.kind in kinds and record.data.get("documents"):
            kinds[record.kind] += 1
            for entry in (e for e in record.data["documents"] if not e.get("generated")):
                assert (entry["sha256"], entry["size"]) == archive.bytes_digest(synthetic_bytes(record.id, entry))
    assert kinds["inspection"] >= 150 and kinds["case"] >= 30, kinds
    # every contract's records keep their files under the contract's folder of the store
    assert all(e["path"].startswith(r.data["contract"] + "/" + r.id + "/")
               for r in records if r.kind in kinds for e in r.data.get("documents", ()))


def test_archive_verify_passes_on_the_demo(demo, yibao):
    root, store = demo
    run = yibao("-C", str(root), "archive", "verify", "--store", str(store))
    assert run.rc == 0, run.out
    assert [d.code for d in run.diagnostics] == ["case-file-incomplete"]
    generated = [e for r in (DECIDED, "records/inspection/2024/JC-2024-E6HVGH.yaml") for e in entries(root, r) if e.get("generated")]
    assert len(generated) == 2 and all((store / e["path"]).read_bytes()[:2] == b"PK" for e in generated)
    assert run.diagnostics[0].path == INCOMPLETE and "告知书" in run.diagnostics[0].message


def test_an_altered_document_is_caught(demo, yibao):
    root, store = demo
    entry = entries(root, DECIDED)[3]
    target = store / entry["path"]
    target.write_bytes(target.read_bytes().replace("处理决定书".encode(), "处理意见书".encode()))
    run = yibao("-C", str(root), "archive", "verify", "--store", str(store))
    assert run.rc == 1
    found = run.only("document-altered")
    assert found.path == DECIDED and entry["path"] in found.message
    text = (root / DECIDED).read_text(encoding="utf-8").splitlines()
    assert entry["sha256"] in text[found.line - 1]  # pointed at the entry's checksum


def test_a_missing_document_is_caught_and_names_its_retention(demo, yibao):
    root, store = demo
    entry = entries(root, DECIDED)[3]  # 处理决定书: the CJ contract keeps these 30 years
    (store / entry["path"]).unlink()
    run = yibao("-C", str(root), "archive", "verify", "--store", str(store), "--format", "json")
    assert run.rc == 1
    import json

    report = json.loads(run.out)
    missing = [d for d in report["diagnostics"] if d["code"] == "document-missing"]
    assert len(missing) == 1 and "应保存至 2054-11-15" in missing[0]["message"]


def test_an_unreferenced_document_is_caught(demo, yibao):
    root, store = demo
    stray = store / "HT-2024-CJ" / "AJ-2024-43TGWJ" / "99-extra.txt"
    stray.write_bytes(b"not listed anywhere\n")
    run = yibao("-C", str(root), "archive", "verify", "--store", str(store))
    assert run.rc == 1
    assert run.only("unreferenced-document").path == "store/HT-2024-CJ/AJ-2024-43TGWJ/99-extra.txt"


def _dispose(root: Path, relpath: str, index: int, day: str) -> None:
    text = (root / relpath).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    path = data["documents"][index]["path"]
    marker = f"    path: {path}\n"
    assert marker in text
    text = text.replace(marker, marker + f"    disposal:\n      date: {day}\n      approval: 澄医保档〔{day[:4]}〕1号\n"
                                          "      approved_by: 澄江市医疗保障局\n")
    (root / relpath).write_text(text, encoding="utf-8")


def test_disposal_before_the_retention_ends_is_caught_and_after_it_is_fine(demo, yibao):
    root, store = demo
    entry = entries(root, DECIDED)[3]
    (store / entry["path"]).unlink()
    _dispose(root, DECIDED, 3, "2030-01-01")  # kept 30 years under HT-2024-CJ: until 2054-11-15
    assert yibao("-C", str(root), "validate", DECIDED).rc == 0
    run = yibao("-C", str(root), "archive", "verify", "--store", str(store))
    assert run.rc == 1 and run.only("document-disposed-early").path == DECIDED
    assert "document-missing" not in run.codes

    text = (root / DECIDED).read_text(encoding="utf-8").replace("date: 2030-01-01", "date: 2054-11-16")
    (root / DECIDED).write_text(text, encoding="utf-8")
    run = yibao("-C", str(root), "archive", "verify", "--store", str(store))
    assert run.rc == 0, run.out


def test_retention_is_the_longer_of_the_vocabulary_and_the_contract():
    schemas = SchemaSet.load(PROJECT / "schemas")
    vocabulary = schemas.vocab("document_type")
    assert archive.retention_years(vocabulary, None, "报销材料") == 10  # seed 004: 至少10年
    contract = {"archive": {"retention": [{"document_type": "报销材料", "years": 15}, {"document_type": "调查报告", "years": 5}]}}
    assert archive.retention_years(vocabulary, contract, "报销材料") == 15
    assert archive.retention_years(vocabulary, {"archive": {"retention": [{"document_type": "报销材料", "years": 3}]}}, "报销材料") == 10
    assert archive.retention_years(vocabulary, contract, "调查报告") == 5
    assert archive.retention_years(vocabulary, None, "调查报告") is None
    import datetime as dt

    assert archive.add_years(dt.date(2024, 2, 29), 10) == dt.date(2034, 2, 28)


def test_completeness_follows_the_vocabulary(schemas):
    vocabulary = schemas.vocab("document_type")
    case = {"timeline": {"registered_on": "2024-01-02", "notified_on": "2024-02-01", "decided_on": "2024-03-01"},
            "documents": [{"type": "告知书"}]}
    found = {(r.type, r.present) for r in archive.requirements(vocabulary, "case", case)}
    assert found == {("告知书", True), ("处理决定书", False)}
    assert archive.requirements(vocabulary, "case", {"timeline": {"registered_on": "2024-01-02"}}) == []
    # the rule is data: without x-required-at nothing is required
    assert archive.requirements({}, "case", case) == []


def test_store_inside_the_work_tree_must_be_ignored_by_git(demo, yibao, tmp_path):
    root, store = demo
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    inside = root / "archive-store"
    shutil.copytree(store, inside)
    run = yibao("-C", str(root), "archive", "verify")  # the default store: <root>/archive-store
    assert run.rc == 1 and run.only("store-in-git").path == "archive-store"
    (root / ".gitignore").write_text("/archive-store/\n", encoding="utf-8")
    run = yibao("-C", str(root), "archive", "verify")
    assert run.rc == 0, run.out


def test_a_store_that_does_not_exist_is_a_usage_error(demo, yibao, tmp_path):
    root, _ = demo
    run = yibao("-C", str(root), "archive", "verify", "--store", str(tmp_path / "nowhere"))
    assert run.rc == 2 and "不存在" in run.err and "Traceback" not in run.err


def test_store_paths_cannot_leave_the_store(yibao, tmp_path, demo):
    root, store = demo
    text = (root / DECIDED).read_text(encoding="utf-8")
    path = entries(root, DECIDED)[0]["path"]
    (root / DECIDED).write_text(text.replace(f"path: {path}", "path: ../../etc/passwd"), encoding="utf-8")
    run = yibao("-C", str(root), "validate", DECIDED)
    assert run.rc == 1 and any(d.path == DECIDED for d in run.diagnostics)


# -- the store never enters git ---------------------------------------------------------------------------
@pytest.mark.parametrize("path, refused", [
    ("archive-store/HT-2024-CJ/AJ-2024-43TGWJ/01-interview.txt", True), ("sub/archive-store/x.docx", True),
    ("Archive-Store/x.pdf", True), ("records/case/2024/AJ-2024-43TGWJ.yaml", False), ("archive.md", False),
])
def test_store_files_are_recognised(path, refused):
    assert is_archive_file(path) is refused


def test_store_is_ignored_hooked_and_refused_by_the_gates():
    assert "/archive-store/" in (PROJECT / ".gitignore").read_text(encoding="utf-8").splitlines()
    config = yaml.safe_load((PROJECT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook = next(h for repo in config["repos"] for h in repo["hooks"] if h["id"] == "no-archive-store")
    assert hook["language"] == "fail"
    pattern = re.compile(hook["files"])
    for path in ("archive-store/a/b.txt", "x/archive-store/y", "records/case/x.yaml", "archive-store.md"):
        assert bool(pattern.search(path)) == is_archive_file(path), path
    assert ARCHIVE_PATTERN.flags & re.IGNORECASE
    listed = subprocess.run(["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True).stdout.split("\n")
    assert [p for p in listed if p and (is_archive_file(p) or is_data_file(p))] == []


def test_check_changes_refuses_a_store_file(tmp_path, yibao):
    from git_fixtures import GitRepo

    repo = GitRepo.create(tmp_path)
    repo.branch("add-doc")
    repo.write("archive-store/HT-2024-TEST/AJ-2024-000001/01-notice.txt", "告知书\n")
    repo.commit("a case document")
    run = yibao("check-changes", "--base", "main", cwd=repo.root)
    assert run.rc == 1 and run.only("archive-store-file").path.startswith("archive-store/")


def test_a_document_checksum_is_not_taken_for_a_phone_number():
    digest = "6f2a2294720595c9ea9f48e8d669a7d96e8a20b19c13912345678d66769a7d96"
    assert len(digest) == 64 and "13912345678" in digest
    assert find_personal_data(f"sha256: {digest}") == []
    assert find_personal_data("电话 13912345678") != []


# -- the portal ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site_2024():
    from portal_demo import project_records, site_as_of

    schemas, records = project_records()
    return site_as_of(schemas, records, "2024-12-31")


def test_case_page_shows_its_case_file_with_retention_and_completeness(site_2024):
    from yibao.publish import pages as P

    _, text = P.record_page(site_2024, site_2024.get("case", "AJ-2024-43TGWJ"))
    assert "案卷文书（一案一卷）" in text and "案卷完整" in text
    assert "✓ 告知书" in text and "✓ 处理决定书" in text
    # HT-2024-CJ keeps 处理决定书 30 years: until 2054-11-15, marked as a due date
    assert '<span class="yb-date-due">2054-11-15</span>（30 年）' in text
    assert "cf10b9f6bb0a…" in text  # the checksum's first digits, the full one in the title
    assert text.count("documents") == 0  # not listed again among the fields


def test_an_incomplete_case_file_is_shown_as_such(site_2024):
    from yibao.publish import pages as P

    _, text = P.record_page(site_2024, site_2024.get("case", "AJ-2020-VPA4NG"))
    assert "案卷不完整：缺少 1 份" in text and "✗ 缺少 告知书" in text


def test_documents_dated_after_the_as_of_date_are_left_out():
    from portal_demo import project_records, site_as_of
    from yibao.publish import pages as P

    schemas, records = project_records()
    site = site_as_of(schemas, records, "2024-11-10")  # AJ-2024-43TGWJ: notified 11-05, decided 11-15
    _, text = P.record_page(site, site.get("case", "AJ-2024-43TGWJ"))
    assert "拟处理告知书" in text and "处理决定书送达回证" not in text


def test_as_of_leaves_out_later_documents_and_later_disposals(schemas):
    import datetime as dt

    from yibao.compute.as_of import record_as_of
    from yibao.core.record import Record

    early = {"type": "告知书", "title": "告知书", "date": "2024-02-01", "sha256": "a" * 64, "size": 1, "path": "x/1.txt",
             "disposal": {"date": "2040-01-01", "approval": "档〔2040〕1号", "approved_by": "医保局"}}
    late = {"type": "处理决定书", "title": "处理决定书", "date": "2024-06-01", "sha256": "b" * 64, "size": 1, "path": "x/2.txt"}
    record = Record("case", "records/case/2024/AJ-2024-000001.yaml",
                    {"id": "AJ-2024-000001", "timeline": {"registered_on": "2024-01-01"}, "documents": [early, late]})
    state = record_as_of(record, dt.date(2024, 3, 1), schemas)
    assert state.record.data["documents"] == [{k: v for k, v in early.items() if k != "disposal"}]
    assert record_as_of(record, dt.date(2041, 1, 1), schemas).record.data["documents"] == [early, late]


# -- generated documents ------------------------------------------------------------------------------------
INSPECTION = "records/inspection/2024/JC-2024-6TNV2M.yaml"  # hand-written, CJ, with findings and amounts


def test_an_inspection_report_is_generated_from_its_record_and_registered(demo, yibao):
    from yibao.publish.documents import text_of

    root, store = demo
    text = (root / INSPECTION).read_text(encoding="utf-8")
    line = next(l for l in text.splitlines() if l.startswith("    description: "))
    (root / INSPECTION).write_text(text.replace(line, line + "\n    evidence: 内部证据病历号ZX0001", 1), encoding="utf-8")
    record = yaml.safe_load((root / INSPECTION).read_text(encoding="utf-8"))
    assert any(f.get("evidence") for f in record["findings"])
    run = yibao("-C", str(root), "archive", "report", record["id"], "--store", str(store))
    assert run.rc == 0, run.err
    entry = entries(root, INSPECTION)[-1]
    assert entry["generated"] is True and entry["type"] == "调查报告" and entry["path"].endswith("investigation_report.docx")
    data = (store / entry["path"]).read_bytes()
    assert archive.bytes_digest(data) == (entry["sha256"], entry["size"])
    text = text_of(data)
    assert "调 查 报 告" in text and record["report"]["document"] in text and record["institution"] in text
    assert "澄江市" in text  # the institution's name, from its own record
    for finding in record["findings"]:
        assert finding["description"] in text
        if "amount" in finding:
            assert f"{finding['amount']:,.2f}" in text
    assert all(f.get("evidence", "§§") not in text for f in record["findings"])  # confidential: never in a document
    assert record["summary"] in text and record["start_date"].isoformat() in text
    # the record with the new entry is valid; the store with the new file verifies
    assert yibao("-C", str(root), "validate", INSPECTION).rc == 0
    assert yibao("-C", str(root), "archive", "verify", "--store", str(store)).rc == 0
    # the same record and template give the same bytes: a second run changes nothing
    assert yibao("-C", str(root), "archive", "report", record["id"], "--store", str(store)).rc == 0
    assert entries(root, INSPECTION)[-1] == entry and len(entries(root, INSPECTION)) == len(record["documents"]) + 1
    assert not any(e.get("generated") for e in record["documents"])


def test_a_decision_notice_holds_the_case_facts_and_record_text_is_never_a_template(demo, yibao):
    from yibao.publish.documents import text_of

    root, store = demo
    text = (root / DECIDED).read_text(encoding="utf-8")
    planted = "摘要含模板语法 {{ bureau }} {% for x in y %} 与 <w:t>标记</w:t> & 符号"
    text = re.sub(r"^summary: .*$", f"summary: \"{planted}\"", text, flags=re.M)
    (root / DECIDED).write_text(text, encoding="utf-8")
    run = yibao("-C", str(root), "archive", "report", "AJ-2024-43TGWJ", "--store", str(store))
    assert run.rc == 0, run.err
    entry = entries(root, DECIDED)[-1]
    body = text_of((store / entry["path"]).read_bytes())
    assert "处 理 决 定 书" in body and "澄江市医疗保障局" in body and "H53048100002" in body
    assert planted in body  # shown as written: not rendered, not broken XML
    assert "《医疗保障基金使用监督管理条例》第三十八条" in body and "责令退回" in body and "445,205.13" in body
    assert entry["date"].isoformat() == "2024-11-15"


def test_the_shipped_templates_are_the_default_layout():
    from yibao.publish.documents import default_template, templates

    schemas = SchemaSet.load(PROJECT / "schemas")
    for spec in templates(schemas.vocab("document_type")).values():
        assert (PROJECT / "templates" / spec.file).read_bytes() == default_template(spec.kind), spec.file


def test_a_record_kind_without_a_template_is_a_usage_error(demo, yibao):
    root, store = demo
    run = yibao("-C", str(root), "archive", "report", "HT-2024-CJ", "--store", str(store))
    assert run.rc == 2 and "模板" in run.err and "Traceback" not in run.err


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_a_generated_report_converts_to_pdf(demo, yibao):
    root, store = demo
    run = yibao("-C", str(root), "archive", "report", "AJ-2024-43TGWJ", "--store", str(store), "--pdf")
    assert run.rc == 0
    pdf = store / "HT-2024-CJ" / "AJ-2024-43TGWJ" / "decision_notice.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_cheap_pre_check_lets_a_checksum_through_but_not_a_number_beside_it():
    from yibao.check.personal_data import might_contain_personal_data

    digest = "6f2a2294720595c9ea9f48e8d669a7d96e8a20b19c13912345678d66769a7d96"
    assert not might_contain_personal_data(f'    sha256: "{digest}"\n    size: 1010\n')
    assert might_contain_personal_data(f'    sha256: "{digest}"\nnotes: 电话 13912345678\n')
    assert might_contain_personal_data(f"x{digest}")  # not a token of its own: scanned as usual
