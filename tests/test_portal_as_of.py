"""The demo portal built ``--as-of 2024-10-15`` shows the repository as it stood on that day.

The demo records run past the date: cases registered and decided later, trainings later in
October, a protocol restored in November, inspections whose reports were accepted later. No page
may show any date after the as-of date except in the elements whose class says the date may lie
later by nature (:data:`ALLOWED`); each such element holds exactly one date, of its own sort.
"""
from __future__ import annotations

import re
import subprocess
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from portal_demo import AS_OF, built_demo, run_cli

from yibao.compute.as_of import record_as_of
from yibao.compute.frames import case_status_as_of
from yibao.compute.view import case_stages
from yibao.load import strict_yaml
from yibao.core.record import Record
from yibao.core.schemas import SchemaSet

DAY = date.fromisoformat(AS_OF)
#: the only places a date after the as-of date may appear, by element class
ALLOWED = {
    "yb-date-term": "dates the contract fixes in advance: the service period, milestone due dates",
    "yb-date-due": "due dates of deadline items (an open deadline falls due later)",
    "yb-commit-date": "git commit dates: the audit trail and the change log are git history, complete",
    "yb-built-at": "when the portal was built (the about page)",
}
ISO_DATE = re.compile(r"(?<![0-9])(\d{4})-(\d{2})-(\d{2})(?![0-9])")
MONTH = re.compile(r"(?<![0-9-])(\d{4})-(\d{2})(?![0-9-])")
CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    built = built_demo(tmp_path_factory)
    assert built.rc == 0, built.stdout + built.stderr
    return built


class Texts(HTMLParser):
    """Every visible text node of a page with the classes of the elements around it, and the
    whole text of each element that has an allowed class."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, set[str]]] = []
        self.nodes: list[tuple[str, frozenset[str]]] = []
        self.allowed: list[tuple[str, list[str]]] = []  # (class, text pieces) of each allowed element
        self._open: list[tuple[int, tuple[str, list[str]]]] = []

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if tag in self.VOID:
            return
        self.stack.append((tag, classes))
        for cls in classes & set(ALLOWED):
            entry = (cls, [])
            self.allowed.append(entry)
            self._open.append((len(self.stack), entry))

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        while self._open and self._open[-1][0] >= len(self.stack):
            self._open.pop()
        self.stack.pop()

    def handle_data(self, data):
        if any(tag in ("script", "style") for tag, _ in self.stack) or not data.strip():
            return
        classes = frozenset(c for _, found in self.stack for c in found)
        self.nodes.append((data, classes))
        for _, (_, pieces) in self._open:
            pieces.append(data)


def later_dates(text: str) -> list[str]:
    """Dates (and months) in a text that lie after the as-of date."""
    found = [m.group(0) for m in ISO_DATE.finditer(text) if _day(*m.groups()) and _day(*m.groups()) > DAY]
    found += [m.group(0) for m in MONTH.finditer(text) if (int(m[1]), int(m[2])) > (DAY.year, DAY.month)]
    found += [m.group(0) for m in CHINESE_DATE.finditer(text) if _day(*m.groups()) and _day(*m.groups()) > DAY]
    return found


def _day(y, m, d) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def pages(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if p.name != "404.html" or p.parent == output)


def parsed(path: Path) -> Texts:
    parser = Texts()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_no_page_shows_a_date_after_the_as_of_date(demo):
    """The issue's Done-when: every page of the demo portal, every visible text node."""
    problems, checked = [], 0
    for path in pages(demo.output):
        for text, classes in parsed(path).nodes:
            checked += 1
            late = later_dates(text)
            if late and not classes & set(ALLOWED):
                problems.append(f"{path.relative_to(demo.output)}: {late} in {text.strip()[:80]!r}")
    assert checked > 10000
    assert not problems, f"{len(problems)} later dates outside the allowed places:\n" + "\n".join(problems[:40])


def _terms(root: Path) -> set[str]:
    """The dates records fix in advance (yibao.compute.as_of.TERMS): service periods, milestone and
    phase due dates, report and rectification deadlines, the dates a provision or policy takes effect."""
    from yibao.compute.as_of import TERMS

    def values(node, parts):
        if isinstance(node, list):
            return [v for item in node for v in values(item, parts)]
        if not parts:
            return [node] if node is not None else []
        return values(node.get(parts[0]), parts[1:]) if isinstance(node, dict) else []

    out = set()
    for kind, dotted in TERMS.items():
        for path in (root / "records" / kind).rglob("*.yaml"):
            data, _, _ = strict_yaml.load_bytes(path.read_bytes())
            for field in dotted:
                out |= set(values(data, field.split(".")))
    return out


def _commit_dates(root: Path) -> set[str]:
    log = subprocess.run(["git", "log", "--all", "--format=%aI%n%cI"], cwd=root, capture_output=True, text=True, check=True)
    return {datetime.fromisoformat(line).strftime("%Y-%m-%d %H:%M") for line in log.stdout.split()}


def test_later_dates_are_allowed_only_as_what_their_class_says(demo):
    """Each allowed element holds one date of its sort, so the classes cannot carry anything else."""
    terms, commits = _terms(demo.root), _commit_dates(demo.root)
    seen = {cls: 0 for cls in ALLOWED}
    for path in pages(demo.output):
        for cls, pieces in parsed(path).allowed:
            text = "".join(pieces).strip()
            seen[cls] += 1
            where = f"{path.relative_to(demo.output)}: {cls} {text!r}"
            if cls == "yb-date-term":
                assert text in terms, where
            elif cls == "yb-date-due":
                assert ISO_DATE.fullmatch(text), where
            elif cls == "yb-commit-date":
                assert text in commits, where
            else:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text) and text[:10] >= date.today().isoformat()[:10], where
    assert all(seen.values()), seen


def _records(root: Path, kind: str) -> list[Record]:
    out = []
    for path in sorted((root / "records" / kind).rglob("*.yaml")):
        data, _, _ = strict_yaml.load_bytes(path.read_bytes())
        out.append(Record(kind, path.relative_to(root).as_posix(), data))
    return out


def test_a_case_decided_later_shows_its_state_on_the_date(demo):
    schemas = SchemaSet.load(demo.root / "schemas")
    decided_later = [c for c in _records(demo.root, "case")
                     if c.get("timeline.registered_on") <= AS_OF < (c.get("timeline.decided_on") or "0")
                     and c.get("status") not in schemas.vocab("case_status")["x-withdrawn"]]
    assert decided_later, "the demo has a case registered before the date and decided after it"
    for case in decided_later:
        state = record_as_of(case, DAY, schemas)
        text = " ".join(t for t, _ in parsed(demo.output / f"cases/{case.id}.html").nodes)
        status = case_status_as_of(case, DAY, case_stages(schemas))
        assert status != case.get("status")
        badge = re.search(r"文件 records/case/\S+\s+(\S+)", text)
        assert badge and badge[1] == status, (case.id, text[:300])
        assert f"统计日（{AS_OF}）之后还有 {state.later} 项变化，未计入本页。" in text
        assert case.get("timeline.decided_on") not in text
        listing = (demo.output / "cases/index.html").read_text(encoding="utf-8")
        row = re.search(rf'<tr>(?:(?!</tr>).)*{case.id}\.html(?:(?!</tr>).)*</tr>', listing)
        assert row and f">{status}</span>" in row[0], case.id


def test_the_list_shows_the_protocol_status_in_force_on_the_date(demo):
    restored_later = [i for i in _records(demo.root, "institution")
                      if any(e["since"] > AS_OF for e in i.get("protocol_history"))]
    assert restored_later, "the demo has an institution whose protocol status changes after the date"
    listing = (demo.output / "institutions/index.html").read_text(encoding="utf-8")
    for institution in restored_later:
        in_force = [e for e in institution.get("protocol_history") if e["since"] <= AS_OF][-1]
        row = re.search(rf'<tr>(?:(?!</tr>).)*{institution.id}\.html(?:(?!</tr>).)*</tr>', listing)[0]
        assert f"{in_force['status']}（{in_force['since']} 起）" in row, row
        page = " ".join(t for t, _ in parsed(demo.output / f"institutions/{institution.id}.html").nodes)
        later = [e for e in institution.get("protocol_history") if e["since"] > AS_OF]
        assert f"统计日（{AS_OF}）之后还有 {len(later)} 项变化，未计入本页。" in page
        assert not any(e.get("note", "\0") in page or e["since"] in page for e in later)


def test_records_of_later_dates_are_linked_nowhere(demo):
    schemas = SchemaSet.load(demo.root / "schemas")
    later = {r.id for kind in ("case", "inspection", "training") for r in _records(demo.root, kind)
             if not record_as_of(r, DAY, schemas).exists}
    assert later, "the demo has records registered or started after the date"
    for path in pages(demo.output):
        html = path.read_text(encoding="utf-8")
        linked = set(re.findall(r'href="[^"]*?((?:JC|AJ|PX)-\d{4}-[0-9A-Z]{6})\.html', html))
        assert not linked & later, f"{path.relative_to(demo.output)} links {linked & later}"


def test_home_counts_and_list_pages_are_as_of_the_date(demo):
    schemas = SchemaSet.load(demo.root / "schemas")
    home = " ".join(t for t, _ in parsed(demo.output / "index.html").nodes)
    for kind, unit in (("inspection", "次检查"), ("case", "条案件线索"), ("training", "次培训")):
        existing = sum(1 for r in _records(demo.root, kind) if record_as_of(r, DAY, schemas).exists)
        assert existing < len(_records(demo.root, kind))
        assert f"{existing} {unit}" in home.replace("、", " "), (kind, existing)


def test_report_and_home_page_agree_with_nothing_after_the_date(demo):
    """``yibao report`` as of the date names no record that did not exist then, and no deadline
    that started or was done later (the home page shows its KPIs: test_portal.py compares them)."""
    import json

    rc, out, err = run_cli("-C", str(demo.root), "report", "--as-of", AS_OF, "--format", "json", "--no-cache")
    assert rc == 0, err
    schemas = SchemaSet.load(demo.root / "schemas")
    by_id = {r.id: r for kind in schemas.kinds for r in _records(demo.root, kind)}
    for report in json.loads(out):
        for kpi in report["kpis"]:
            for ident in kpi["records"]:
                assert ident not in by_id or record_as_of(by_id[ident], DAY, schemas).exists, (kpi["id"], ident)
        for items in report["deadlines"].values():
            for item in items:
                assert record_as_of(by_id[item["record"]], DAY, schemas).exists, item
                assert (item["starts_on"] or "") <= AS_OF and (item["done_on"] or "") <= AS_OF, item
