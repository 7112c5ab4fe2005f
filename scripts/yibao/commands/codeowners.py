"""``yibao codeowners``: .github/CODEOWNERS generated from the contracts' ``reviewers``.

CODEOWNERS routes review by path, and a record's path does not name its contract
(``records/inspection/2024/JC-….yaml``), so every path goes to all bureau reviewers and each
contract file to its own reviewers. Which contract a contractor may touch is enforced by
``yibao check-changes --actor`` in CI, not by CODEOWNERS.
"""
from __future__ import annotations

import sys

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError

TARGET = ".github/CODEOWNERS"
HEADER = """\
# 由 yibao codeowners 根据各项目记录（records/contract/）的 reviewers 生成，请勿手工修改；
# 新增项目或更换审核账号后运行 yibao codeowners --write 重新生成（CI 会检查是否一致）。
# CODEOWNERS 只能按路径指定审核人，而检查、案件等记录的路径里没有项目编号，
# 所以全部文件由全部医保局审核账号审核，每个项目的合同记录由该项目的审核账号审核。
# 第三方机构账号只能修改本项目的记录，这一点由 CI 中的 yibao check-changes 把关。
"""


def register(sub) -> None:
    p = sub.add_parser("codeowners", help="根据项目记录的审核账号生成 .github/CODEOWNERS")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"写入 {TARGET}")
    mode.add_argument("--check", action="store_true", help=f"检查 {TARGET} 是否与项目记录一致（不一致时退出码为 1）")
    p.add_argument("--ref", metavar="COMMIT",
                   help="读取某个提交中的项目记录和 CODEOWNERS（只作为 git 数据读取，不检出；CI 用它检查拉取请求）")
    p.set_defaults(func=run)


def codeowners_text(contracts: list) -> str:
    """The CODEOWNERS file for these contract records (sorted, so the output is stable)."""
    contracts = sorted((c for c in contracts if c.id), key=lambda c: c.id)
    everyone = sorted({a for c in contracts for a in _reviewers(c)})
    lines = [HEADER.rstrip("\n")]
    if everyone:
        lines.append("*" + "".join(f" @{a}" for a in everyone))
    for contract in contracts:
        own = _reviewers(contract)
        if own:
            lines.append(f"/{contract.path}" + "".join(f" @{a}" for a in own))
    return "\n".join(lines) + "\n"


def _reviewers(contract) -> list[str]:
    value = contract.get("reviewers")
    return sorted(a for a in value if isinstance(a, str)) if isinstance(value, list) else []


def run(ctx: Context) -> int:
    args = ctx.args
    from ..load import strict_yaml
    from ..core.record import Record

    root = ctx.root
    if args.ref:
        return _check_at(root, args.ref) if args.check or not args.write else _usage("--ref 只能与 --check 一起使用")
    contracts = []
    for path in sorted((root / "records" / "contract").glob("*.yaml")):
        data, problems, _ = strict_yaml.load_bytes(path.read_bytes())
        if data is not None:
            contracts.append(Record("contract", path.relative_to(root).as_posix(), data))
    text = codeowners_text(contracts)
    target = root / TARGET
    if args.write:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        sys.stderr.write(f"已写入 {TARGET}\n")
        return EXIT_OK
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            print(f"{TARGET}:1:1: error[codeowners-outdated] {TARGET} 与项目记录中的审核账号不一致；请运行 yibao codeowners --write 并提交")
            return EXIT_INVALID
        print(f"{TARGET} 与项目记录一致。")
        return EXIT_OK
    sys.stdout.write(text)
    return EXIT_OK


def _usage(message: str) -> int:
    raise UsageError(message)


def _check_at(root, ref: str) -> int:
    """``--check`` against a commit's contracts and CODEOWNERS, read from git objects only."""
    from ..load.git_tree import GitError, GitTrees

    try:  # a ref git cannot find, or a repository git cannot read, is a usage error
        trees = GitTrees(root)
        commit = trees.resolve(ref)
        text = codeowners_text(trees.records(commit, ["contract"], "records/contract"))
        blob = trees.files(commit, ".github").get(TARGET)
        current = trees.read(blob).decode("utf-8", "replace") if blob else None
    except GitError as exc:
        raise UsageError(str(exc)) from None
    if current != text:
        print(f"{TARGET}:1:1: error[codeowners-outdated] 提交 {commit[:10]} 中的 {TARGET} 与项目记录中的审核账号不一致；"
              "请运行 yibao codeowners --write 并提交")
        return EXIT_INVALID
    print(f"{TARGET} 与提交 {commit[:10]} 的项目记录一致。")
    return EXIT_OK
