"""What the hand-written pages become under Zensical, the successor of Material for MkDocs.

Material reaches end of life on 2027-05-05. This test builds the hand-written pages (``site/*.md``,
with the repository's ``mkdocs.yml`` reduced to what they need) with MkDocs and with Zensical
0.0.73, installed only into a temporary virtual environment of the test's own, and reports what
differs: the page list, each page's title, the navigation. It never fails on a difference (Zensical
is young and changes fast) and skips, with the reason, when Zensical cannot be installed here.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from portal_demo import PROJECT

ZENSICAL = "zensical==0.0.73"


def _project(base: Path) -> Path:
    """The hand-written pages and a configuration without the macros (their data comes from yibao build)."""
    root = base / "project"
    docs = root / "docs"
    docs.mkdir(parents=True)
    pages = sorted(p for p in (PROJECT / "site").glob("*.md"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"{{.*?}}|{%.*?%}", "（宏）", text, flags=re.S)  # macros run only in yibao build
        (docs / page.name).write_text(text, encoding="utf-8")
    config = yaml.safe_load((PROJECT / "mkdocs.yml").read_text(encoding="utf-8").replace("!!python", "#"))
    nav = [item for item in config["nav"] if (docs / next(iter(item.values()))).is_file()]
    (root / "mkdocs.yml").write_text(yaml.safe_dump({
        "site_name": config["site_name"], "use_directory_urls": False, "docs_dir": "docs",
        "theme": {"name": "material", "language": "zh", "font": False},
        "markdown_extensions": ["toc", "attr_list", "admonition", "tables"], "nav": nav,
    }, allow_unicode=True), encoding="utf-8")
    return root


def _summary(site: Path) -> dict:
    out = {}
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        title = re.search(r"<title>(.*?)</title>", text, re.S)
        nav = re.findall(r'class="md-nav__link[^"]*"[^>]*>\s*(?:<span[^>]*>)?\s*([^<]+?)\s*<', text)
        out[page.relative_to(site).as_posix()] = {"title": title.group(1).strip() if title else None, "nav": nav}
    return out


def test_hand_written_pages_under_zensical(tmp_path):
    root = _project(tmp_path)
    mkdocs_site = tmp_path / "mkdocs-site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(mkdocs_site)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", ZENSICAL],
                             capture_output=True, text=True, timeout=600)
    if install.returncode != 0:
        pytest.skip(f"无法安装 {ZENSICAL}：{(install.stderr or install.stdout).strip().splitlines()[-1:]}")
    zensical_site = tmp_path / "zensical-site"
    built = subprocess.run([str(env / "bin" / "zensical"), "build", "-f", str(root / "mkdocs.yml")],
                           capture_output=True, text=True, cwd=root, timeout=600)
    produced = root / "site"
    if built.returncode != 0 or not produced.is_dir():
        print(f"Zensical 0.0.73 未能构建手写页面（退出码 {built.returncode}）：{(built.stderr or built.stdout)[-800:]}")
        return
    produced.rename(zensical_site)
    ours, theirs = _summary(mkdocs_site), _summary(zensical_site)
    report = {
        "only_mkdocs": sorted(set(ours) - set(theirs)),
        "only_zensical": sorted(set(theirs) - set(ours)),
        "titles": {p: (ours[p]["title"], theirs[p]["title"]) for p in set(ours) & set(theirs)
                   if ours[p]["title"] != theirs[p]["title"]},
        "nav": {p: (ours[p]["nav"], theirs[p]["nav"]) for p in set(ours) & set(theirs) if ours[p]["nav"] != theirs[p]["nav"]},
    }
    print("MkDocs 与 Zensical 0.0.73 的差异：" + json.dumps(report, ensure_ascii=False, indent=1))
    assert ours, "MkDocs built the hand-written pages"
