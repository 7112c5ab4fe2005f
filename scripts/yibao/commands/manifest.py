"""``yibao manifest``: the handover manifest (移交清单) of a contract or the whole repository.

``yibao manifest [--contract ID] [--output FILE] [--sign-key KEY]`` writes every record version
(from git history) and every document checksum under one Merkle root (:mod:`yibao.compute.manifest`),
optionally signed with ``ssh-keygen -Y sign``; ``yibao manifest verify FILE`` checks it against the
repository, the document store and, given ``--allowed-signers``, its signature; ``yibao manifest
prove FILE RECORD`` prints the inclusion proof of a record's latest version.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError

NAMESPACE = "yibao-manifest"  # ssh-keygen -Y: a signature for this use and no other
EXAMPLES = """示例：
  yibao manifest --contract HT-2024-CJ --output 移交清单-HT-2024-CJ.json --sign-key ~/.ssh/id_ed25519
  yibao manifest verify 移交清单-HT-2024-CJ.json --store /mnt/档案 \\
      --allowed-signers allowed_signers --identity contractor@example.cn
  yibao manifest prove 移交清单-HT-2024-CJ.json records/case/2024/AJ-2024-43TGWJ.yaml"""


def register(sub) -> None:
    p = sub.add_parser(
        "manifest", help="移交清单：全部记录版本（git 历史）和文书校验和的 Merkle 根，可签名；manifest verify 在接收方复核",
        description="服务期结束时生成移交清单（每个记录版本：路径、提交、blob、SHA-256、日期、作者；每份文书：存放位置、SHA-256、字节数），"
                    "以 Merkle 树（RFC 9162）的根哈希固定，可用 ssh-keygen -Y sign 签名；医保局收到仓库、文书库和清单后用 manifest verify 复核。",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", nargs="*", metavar="verify FILE | prove FILE RECORD", help="verify：复核清单；prove：一个记录的包含证明")
    p.add_argument("--contract", metavar="ID", default=None, help="只包括这个服务项目的记录和文书（默认全部）")
    p.add_argument("--output", metavar="FILE", default=None, help="清单写到这个文件（默认打印到标准输出）")
    p.add_argument("--store", metavar="DIR", default=None, help="文书库目录（默认 $YIBAO_ARCHIVE_STORE，否则为仓库下的 archive-store/）")
    p.add_argument("--date", metavar="YYYY-MM-DD", default=None, help="清单日期（默认今天）")
    p.add_argument("--sign-key", metavar="KEY", default=None, help="用这个 SSH 私钥签名（ssh-keygen -Y sign），签名写到 FILE.sig")
    p.add_argument("--allowed-signers", metavar="FILE", default=None, help="verify：签名人公钥列表（ssh-keygen 的 allowed_signers 格式）")
    p.add_argument("--identity", metavar="ID", default=None, help="verify：签名人身份（allowed_signers 中的名字）")
    p.add_argument("--format", choices=("text", "json", "github"), default="text", help="verify 的输出格式")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    action = ctx.args.action
    if not action:
        return make(ctx)
    if action[0] == "verify" and len(action) == 2:
        return verify(ctx, Path(action[1]))
    if action[0] == "prove" and len(action) == 3:
        return prove(ctx, Path(action[1]), action[2])
    raise UsageError("用法：yibao manifest [--contract ID]；yibao manifest verify FILE；yibao manifest prove FILE RECORD")


def _records(ctx: Context):
    from ..speed.run import check_repository

    return check_repository(ctx.root, ctx.schemas, want_data=True).records


def _history_error(exc) -> UsageError:
    return UsageError(getattr(exc, "message", str(exc)))


def make(ctx: Context) -> int:
    from ..compute import manifest as M
    from ..load.git_tree import GitError
    from ..load.history import HistoryError

    args = ctx.args
    try:
        day = _dt.date.fromisoformat(args.date) if args.date else _dt.date.today()
    except ValueError:
        raise UsageError(f"--date 应写成 YYYY-MM-DD（现在是 {args.date}）") from None
    records = _records(ctx)
    if args.contract and not any(r.kind == "contract" and r.id == args.contract for r in records):
        raise UsageError(f"项目 {args.contract} 不存在")
    try:
        manifest = M.build(ctx.root, records, args.contract, day)
    except (HistoryError, GitError) as exc:
        raise _history_error(exc) from None
    text = M.dumps(manifest)
    if args.output is None:
        if args.sign_key:
            raise UsageError("签名需要 --output FILE")
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"移交清单 {args.output}：{manifest['records']} 个记录版本，{manifest['documents']} 份文书，根哈希 {manifest['root']}")
        if args.sign_key:
            _sign(Path(args.output), Path(args.sign_key))
    return EXIT_OK


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise UsageError("没有找到 ssh-keygen（OpenSSH 8.0 以上）；Debian 上可用 apt-get install openssh-client 安装")
    return found


def _sign(path: Path, key: Path) -> None:
    done = subprocess.run([_ssh_keygen(), "-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(path)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    if done.returncode != 0:
        raise UsageError(f"签名失败（ssh-keygen -Y sign）：{done.stderr.strip()[:300]}")
    print(f"签名：{path}.sig（命名空间 {NAMESPACE}）")


def _signature_ok(path: Path, signers: Path, identity: str) -> tuple[bool, str]:
    signature = Path(str(path) + ".sig")
    if not signature.is_file():
        return False, f"没有签名文件 {signature.name}"
    with open(path, "rb") as data:
        done = subprocess.run([_ssh_keygen(), "-Y", "verify", "-f", str(signers), "-I", identity, "-n", NAMESPACE,
                               "-s", str(signature)], stdin=data, capture_output=True, text=True, timeout=120)
    return done.returncode == 0, (done.stdout + done.stderr).strip()[:300]


def _load(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"无法读取清单 {path}（{exc.strerror}）") from None
    except (ValueError, UnicodeDecodeError):
        raise UsageError(f"{path} 不是 JSON 格式的移交清单") from None
    if not isinstance(manifest, dict):
        raise UsageError(f"{path} 不是移交清单")
    return manifest


def verify(ctx: Context, path: Path) -> int:
    from ..compute import manifest as M
    from ..core.archive import store_dir
    from ..core.diagnostics import ERROR, Diagnostic, render
    from ..load.git_tree import GitError, Repository
    from ..load.history import HistoryError

    args = ctx.args
    manifest = _load(path)
    diagnostics = []
    if args.allowed_signers or args.identity:
        if not (args.allowed_signers and args.identity):
            raise UsageError("复核签名需要同时给出 --allowed-signers FILE 和 --identity ID")
        ok, said = _signature_ok(path, Path(args.allowed_signers), args.identity)
        if not ok:
            diagnostics.append(Diagnostic(path.name, 1, 1, "manifest-signature-invalid",
                                          f"签名无效（{args.identity}，命名空间 {NAMESPACE}）：{said}"))
    store = store_dir(ctx.root, args.store)
    repo = Repository(ctx.root)

    ancestors: dict[str, set[str]] = {}

    def is_ancestor(commit: str, head: str) -> bool:
        """One ``git rev-list`` for the manifest's head, not one git call per version asked about."""
        if head not in ancestors:
            code, listed = repo.status("rev-list", head)
            ancestors[head] = set(listed.split()) if code == 0 else set()
        return commit in ancestors[head]

    try:
        diagnostics += M.verify(ctx.root, manifest, _records(ctx), store if store.is_dir() else None, path.name, is_ancestor)
    except (HistoryError, GitError) as exc:
        raise _history_error(exc) from None
    count = manifest.get("records")
    print(render(diagnostics, args.format, count if isinstance(count, int) and not isinstance(count, bool) else 0))
    if args.format == "text":
        sys.stderr.write(f"清单 {path.name}：{manifest.get('records')} 个记录版本，{manifest.get('documents')} 份文书，"
                         f"根哈希 {manifest.get('root')}\n")
    return EXIT_INVALID if any(d.severity == ERROR for d in diagnostics) else EXIT_OK


def prove(ctx: Context, path: Path, record: str) -> int:
    from ..compute import manifest as M

    manifest = _load(path)
    relpath = ctx.relative(record) if Path(record).suffix else record
    found = M.proof(manifest, lambda line: line.startswith(f"{M.RECORD}\t{relpath}\t"))
    if found is None:
        raise UsageError(f"清单中没有 {relpath} 的版本")
    print(json.dumps(found, ensure_ascii=False, indent=1))
    if not M.proof_holds(found):
        sys.stderr.write("包含证明与清单的根哈希不符：清单被改动过\n")
        return EXIT_INVALID
    sys.stderr.write(f"包含证明：第 {found['index']} 行（共 {found['size']} 行），{len(found['path'])} 个哈希即可由该行算出根哈希\n")
    return EXIT_OK
