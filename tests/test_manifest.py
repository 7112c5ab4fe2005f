"""The handover manifest (移交清单): built on a real git repository of the demo records and a real
document store, verified, and each change after it caught: a record version altered by rewriting
history, a document altered or removed, the manifest itself edited, a wrong signature.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PROJECT
from git_fixtures import GIT_ENV
from yibao.compute import manifest as M
from yibao.core import merkle

CASE = "records/case/2024/AJ-2024-43TGWJ.yaml"  # HT-2024-CJ
KLMY_INSPECTION = "records/inspection/2024/JC-2024-02573S.yaml"


def git(root: Path, *args: str, when: str = "2024-12-31T18:00:00+08:00") -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    done = subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def handed_over(tmp_path_factory) -> tuple[Path, Path]:
    """The demo under git (two commits: the records, then a correction of one case) and its store."""
    base = tmp_path_factory.mktemp("handover")
    root, store = base / "repo", base / "store"
    for folder in ("schemas", "records", "templates"):
        shutil.copytree(PROJECT / folder, root / folder)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "records", when="2024-12-30T09:00:00+08:00")
    text = (root / CASE).read_text(encoding="utf-8")
    (root / CASE).write_text(text.replace("disclosed: true", "disclosed: true\nnotes: 移交前核对"), encoding="utf-8")
    git(root, "commit", "-q", "-am", "case note")
    from yibao import cli

    assert cli.main(["-C", str(root), "archive", "demo-store", "--store", str(store)]) == 0
    return root, store


@pytest.fixture
def copy(handed_over, tmp_path) -> tuple[Path, Path]:
    root, store = tmp_path / "repo", tmp_path / "store"
    shutil.copytree(handed_over[0], root)
    shutil.copytree(handed_over[1], store)
    return root, store


def build(yibao, root: Path, store: Path, out: Path, *extra: str):
    run = yibao("-C", str(root), "manifest", "--contract", "HT-2024-CJ", "--output", str(out), "--store", str(store),
                "--date", "2024-12-31", *extra)
    assert run.rc == 0, run.err
    return json.loads(out.read_text(encoding="utf-8"))


def verify(yibao, root: Path, store: Path, out: Path, *extra: str):
    return yibao("-C", str(root), "manifest", "verify", str(out), "--store", str(store), *extra)


def test_a_contract_manifest_holds_its_versions_and_documents_and_verifies(copy, yibao, tmp_path):
    root, store = copy
    out = tmp_path / "清单.json"
    manifest = build(yibao, root, store, out)
    lines = manifest["lines"]
    assert lines == sorted(lines) and manifest["root"] == merkle.root([merkle.leaf_hash(x) for x in lines]).hex()
    case_versions = [x for x in lines if x.startswith(f"record\t{CASE}\t")]
    assert len(case_versions) == 2  # both versions of the corrected case
    assert not any(KLMY_INSPECTION in x for x in lines)  # another contract's record is out of scope
    docs = [x for x in lines if x.startswith("document\t")]
    assert docs and all(x.split("\t")[1].startswith("HT-2024-CJ/") for x in docs)
    assert manifest["records"] + manifest["documents"] == len(lines)
    # the stable text: built again, byte for byte the same
    again = tmp_path / "again.json"
    build(yibao, root, store, again)
    assert again.read_bytes() == out.read_bytes()
    run = verify(yibao, root, store, out)
    assert run.rc == 0, run.out
    assert "error[" not in run.out


def test_a_record_version_altered_after_the_manifest_is_caught(copy, yibao, tmp_path):
    root, store = copy
    out = tmp_path / "清单.json"
    build(yibao, root, store, out)
    # rewrite history: the last commit's version of the case says something else
    text = (root / CASE).read_text(encoding="utf-8")
    (root / CASE).write_text(text.replace("notes: 移交前核对", "notes: 移交前核对（改）"), encoding="utf-8")
    git(root, "commit", "-q", "-a", "--amend", "--no-edit")
    run = verify(yibao, root, store, out)
    assert run.rc == 1
    assert run.only("record-version-missing").path == CASE
    # the rewritten commit's version is not the manifest's either: it is reported, as after the manifest
    assert "record-version-after-manifest" in run.codes


def test_a_version_committed_after_the_manifest_is_only_a_warning(copy, yibao, tmp_path):
    root, store = copy
    out = tmp_path / "清单.json"
    build(yibao, root, store, out)
    text = (root / CASE).read_text(encoding="utf-8")
    (root / CASE).write_text(text.replace("notes: 移交前核对", "notes: 移交后补记"), encoding="utf-8")
    git(root, "commit", "-q", "-am", "after the handover", when="2025-01-05T09:00:00+08:00")
    run = verify(yibao, root, store, out)
    assert run.rc == 0, run.out
    assert run.codes == ["record-version-after-manifest"]


def test_an_altered_and_a_missing_document_are_caught(copy, yibao, tmp_path):
    root, store = copy
    out = tmp_path / "清单.json"
    manifest = build(yibao, root, store, out)
    docs = [x.split("\t")[1] for x in manifest["lines"] if x.startswith("document\t")]
    with open(store / docs[0], "ab") as handle:
        handle.write(b"\n")
    (store / docs[1]).unlink()
    run = verify(yibao, root, store, out)
    assert run.rc == 1
    assert run.only("document-altered").path == f"store/{docs[0]}"
    assert run.only("document-missing").path == f"store/{docs[1]}"


def test_an_edited_manifest_is_caught(copy, yibao, tmp_path):
    root, store = copy
    out = tmp_path / "清单.json"
    manifest = build(yibao, root, store, out)
    # drop a document from the manifest (as if it had never been handed over) and keep the root
    manifest["lines"] = [x for x in manifest["lines"] if not x.startswith("document\t")][:-1] + manifest["lines"][-1:]
    out.write_text(M.dumps(manifest), encoding="utf-8")
    run = verify(yibao, root, store, out)
    assert run.rc == 1 and "manifest-root-mismatch" in run.codes


def test_the_inclusion_proof_of_one_record(copy, yibao, tmp_path):
    root, store = copy
    out = tmp_path / "清单.json"
    manifest = build(yibao, root, store, out)
    run = yibao("-C", str(root), "manifest", "prove", str(out), CASE)
    assert run.rc == 0, run.err
    proof = json.loads(run.out)
    assert proof["line"].startswith(f"record\t{CASE}\t") and proof["root"] == manifest["root"]
    assert len(proof["path"]) <= (len(manifest["lines"]) - 1).bit_length()  # log2(n) hashes
    assert M.proof_holds(proof)
    forged = dict(proof, line=proof["line"].replace("\t2024-", "\t2023-"))
    assert not M.proof_holds(forged)
    assert not M.proof_holds(dict(proof, path=proof["path"][:-1]))


def test_a_signed_manifest_verifies_and_a_wrong_signature_is_caught(copy, yibao, tmp_path):
    # signing is a feature (yibao manifest --sign-key), not an extra: .ci/run installs openssh-client
    assert shutil.which("ssh-keygen"), "ssh-keygen (Debian: openssh-client) is needed to sign and verify a manifest"
    root, store = copy
    keys = {}
    for who in ("contractor", "intruder"):
        key = tmp_path / who
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(key)], check=True)
        keys[who] = key
    signers = tmp_path / "allowed_signers"
    public = (tmp_path / "contractor.pub").read_text().split()
    signers.write_text(f"contractor@example.cn {public[0]} {public[1]}\n")
    out = tmp_path / "清单.json"
    build(yibao, root, store, out, "--sign-key", str(keys["contractor"]))
    assert (tmp_path / "清单.json.sig").is_file()
    good = verify(yibao, root, store, out, "--allowed-signers", str(signers), "--identity", "contractor@example.cn")
    assert good.rc == 0, good.out
    # signed by another key
    other = tmp_path / "other.json"
    build(yibao, root, store, other, "--sign-key", str(keys["intruder"]))
    run = verify(yibao, root, store, other, "--allowed-signers", str(signers), "--identity", "contractor@example.cn")
    assert run.rc == 1 and run.only("manifest-signature-invalid")
    # the right key, but the manifest changed after signing (its root still consistent)
    manifest = json.loads(out.read_text(encoding="utf-8"))
    manifest["created"] = "2025-01-01"
    out.write_text(M.dumps(manifest), encoding="utf-8")
    run = verify(yibao, root, store, out, "--allowed-signers", str(signers), "--identity", "contractor@example.cn")
    assert run.rc == 1 and run.codes == ["manifest-signature-invalid"]
