"""The portal uses MkDocs, Material and Jinja only through their public surface.

``yibao.publish`` once swapped template render functions, replaced ``page.render`` and read private
attributes; Material reaches end of life on 2027-05-05 and MkDocs 1.x is unmaintained, so nothing
in the package may depend on their internals. This test reads every module of ``yibao.publish``
(and its templates) with :mod:`ast` and refuses:

* an import of a private module or name of MkDocs, Material, Jinja, MarkupSafe or Python-Markdown
  (``from material.plugins.search import _x``, ``import jinja2._identifier``);
* an attribute whose name starts with ``_`` (dunders apart) read or set on anything but the
  module's own object (``self``/``cls``), including through ``getattr``/``setattr``/``hasattr``
  with a literal name — there is no private attribute of our own worth reaching into either;
* a private attribute used in one of our Jinja templates.

``test_a_planted_private_access_is_found`` proves the scan finds each kind.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from portal_demo import PROJECT

PUBLISH = PROJECT / "scripts" / "yibao" / "publish"
LIBRARIES = ("mkdocs", "material", "jinja2", "markupsafe", "markdown")
_PRIVATE = re.compile(r"^_(?!_.*__$)")  # _name, __name; not __dunder__
_TEMPLATE_PRIVATE = re.compile(r"\.\s*_[A-Za-z]|\[\s*['\"]_[A-Za-z]|\battr\(\s*['\"]_")


def _private_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] in LIBRARIES and any(_PRIVATE.match(p) for p in parts[1:])


def violations(source: str, where: str = "<module>") -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno}: import {a.name}" for a in node.names if _private_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if _private_module(node.module):
                found.append(f"{where}:{node.lineno}: from {node.module} import …")
            elif node.module.split(".")[0] in LIBRARIES:
                found += [f"{where}:{node.lineno}: from {node.module} import {a.name}" for a in node.names
                          if _PRIVATE.match(a.name)]
        elif isinstance(node, ast.Attribute) and _PRIVATE.match(node.attr):
            base = node.value
            if not (isinstance(base, ast.Name) and base.id in ("self", "cls")):
                found.append(f"{where}:{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and _PRIVATE.match(name.value):
                found.append(f"{where}:{node.lineno}: {node.func.id}(…, {name.value!r})")
    return found


def template_violations(text: str, where: str) -> list[str]:
    found = []
    for match in re.finditer(r"{[{%](.*?)[}%]}", text, re.S):
        if _TEMPLATE_PRIVATE.search(match.group(1)):
            found.append(f"{where}: {match.group(0)[:60]}")
    return found


def test_publish_uses_no_private_internals():
    modules = sorted(PUBLISH.glob("*.py"))
    assert len(modules) >= 6 and not (PUBLISH / "accelerate.py").exists()
    found = [v for path in modules for v in violations(path.read_text(encoding="utf-8"), path.name)]
    templates = sorted((PUBLISH / "templates").glob("*.html"))
    assert templates
    found += [v for path in templates for v in template_violations(path.read_text(encoding="utf-8"), path.name)]
    assert found == []


@pytest.mark.parametrize("planted", [
    "from material.plugins.search import plugin\nplugin.SearchIndex()._segment_chinese('中文')",
    "def on_page_content(html, page, config, files):\n    return page._title_from_render",
    "import jinja2._identifier",
    "from mkdocs.structure._private import x",
    "from jinja2.utils import _PassArg",
    "def on_env(env, config, files):\n    env.get_template('base.html').blocks['x']._render = None",
    "def hook(page):\n    return getattr(page, '_title_from_render', None)",
])
def test_a_planted_private_access_is_found(planted):
    assert violations(planted), planted


def test_a_planted_private_access_in_a_template_is_found():
    assert template_violations("{{ page._title_from_render }}", "t.html")
    assert template_violations("{% if config['_secret'] %}{% endif %}", "t.html")
    assert not template_violations("{{ title }} {% for item in toc %}{{ item.id }}{% endfor %}", "t.html")


def test_public_use_passes():
    assert violations("import jinja2\nenv = jinja2.Environment(autoescape=True)\nself._cache = {}\nx.__class__") == []


def test_a_confidential_reference_to_a_public_record_is_not_secret_text():
    """A case's reward policy is confidential (naming it says the case paid a reward), but the policy's
    ID is public: the policy's own file, the change log and commit messages carry it. The leak scan
    looks for confidential text, not for IDs of existing records; the field itself stays off the page."""
    from portal_demo import project_records, site_as_of
    from yibao.publish import pages, portal

    schemas, records = project_records()
    site = site_as_of(schemas, records, "2024-12-31")
    rewarded = [r for r in site.all("case") if r.get("reward_policy")]
    assert rewarded
    secrets = portal.secret_values(site)
    assert all(r.get("reward_policy") not in secrets for r in rewarded)
    assert any(r.get("lead_text") in secrets for r in site.all("case") if isinstance(r.get("lead_text"), str) and len(r.get("lead_text")) >= portal.LEAK_MIN_LENGTH)
    for case in rewarded:
        _, text = pages.record_page(site, case)
        assert "举报奖励依据" not in text.split("## 审计记录")[0]  # the field's label never shows in the record's sections


def test_a_contract_without_inspections_or_cases_has_no_empty_charts():
    """The medical-assistance service contract has no inspections or cases: four empty charts would be noise."""
    from portal_demo import project_records, site_as_of
    from yibao.publish import pages

    schemas, records = project_records()
    site = site_as_of(schemas, records, "2025-06-30")
    by_id = {pages.contract_id(r): r for r in site.reports}
    assert pages.home_charts(site, by_id["HT-2025-ZQYJ"]) == ""
    assert 'id="chart-inspections-HT-2024-KLMY"' in pages.home_charts(site, by_id["HT-2024-KLMY"])
