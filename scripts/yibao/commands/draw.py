"""``yibao draw``: a 双随机 draw written as a record; ``yibao draw verify [PATH]`` re-runs draws.

The draw is made from the repository's own data as of ``--date`` with :mod:`yibao.core.draw`,
the same code the check rule ``draw-not-reproducible`` re-runs in CI (:mod:`yibao.check.draws`).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import sys

from .context import Context, EXIT_INVALID, EXIT_OK, UsageError

KIND = "draw"

EXAMPLES = """示例：
  yibao draw --contract HT-2024-KLMY --date 2024-06-03 --seed "2024-06-03 上证综指收盘 3078.49" \\
      --seed-source "抽取前一日在局网站公告：以抽取当日上证综指收盘点位为种子" \\
      --types 定点医疗机构 定点零售药店 --per-type 定点医疗机构=3 定点零售药店=2 --exclude-last-inspectors
  yibao draw … --types 定点医疗机构 --levels 一级 二级 --not-inspected-months 6 --count 3   # 按等级、近 6 个月未检查筛选
  yibao draw … --types 定点医疗机构 定点零售药店 --per-risk-tier 高=2 中=1 --require 执法人员=1
                                    # 按风险等级分层，每家至少 1 名医保局执法人员
  yibao draw verify                 # 复核全部抽取记录
  yibao draw verify records/draw/CQ-2024-ABC123.yaml"""


def register(sub) -> None:
    p = sub.add_parser(
        KIND, help="双随机抽取：按公布的种子从本仓库数据中抽取检查对象和检查人员，写成抽取记录；draw verify 复核",
        description="按“双随机、一公开”原则抽取。算法 sha256-rank-v1：编号按 SHA-256(种子 + 换行 + 编号) 升序排列取前 k 个，"
                    "任何人都可以用 printf '%s\\n%s' \"$seed\" \"$id\" | sha256sum 复核。",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", nargs="*", metavar="verify [PATH]", help="verify：复核全部或指定的抽取记录（与 CI 的检查相同）")
    p.add_argument("--contract", metavar="ID", help="所属项目编号")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="抽取日期：范围和人员库按这一天的记录确定")
    p.add_argument("--seed", help="随机种子（须在抽取前公布）")
    p.add_argument("--seed-source", metavar="TEXT", help="种子来源：在哪里、何时公布（中文）")
    p.add_argument("--types", nargs="+", metavar="TYPE", default=[], help="抽取的机构类型，例如 定点医疗机构 定点零售药店")
    p.add_argument("--levels", nargs="+", metavar="LEVEL", default=None,
                   help="只抽取这些等级的机构（机构记录的 level 字段），例如 一级 二级；没有等级的机构（如药店）不在范围内")
    p.add_argument("--risk-tiers", nargs="+", metavar="TIER", default=None,
                   help="只抽取抽取日风险等级为这些等级的机构（机构记录的 risk_assessments），例如 高 中；没有评定的机构不在范围内")
    p.add_argument("--not-inspected-months", type=int, metavar="N", default=None,
                   help="不抽取抽取日前 N 个月内开始过检查的机构（不计撤销和计划中的检查）")
    p.add_argument("--count", type=int, help="抽取机构数（不分类型时）")
    p.add_argument("--per-type", nargs="+", metavar="TYPE=N", default=[], help="分类型抽取数，例如 定点医疗机构=3")
    p.add_argument("--per-risk-tier", nargs="+", metavar="TIER=N", default=[],
                   help="按风险等级分层抽取，例如 高=2 中=1（与 --per-type 二选一；没有评定的机构不在范围内）")
    p.add_argument("--require", nargs="+", metavar="ROLE=N", default=[],
                   help="每家至少几名某岗位的检查人员，例如 执法人员=1（医保局执法人员）")
    p.add_argument("--inspectors", type=int, default=2, metavar="N", help="每家检查人员数（至少 2 人，默认 2）")
    p.add_argument("--exclude-last-inspectors", action="store_true", help="回避上次检查该机构的人员")
    p.add_argument("--purpose", default=None, help="抽取用途（检查类型，默认为要求抽取记录的检查类型）")
    p.add_argument("--description", default=None, help="范围说明（默认按项目和机构类型生成）")
    p.add_argument("--dry-run", action="store_true", help="只打印结果，不写文件")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    args = ctx.args
    root = ctx.root
    schemas = ctx.schemas
    if args.action and args.action[0] == "verify":
        return verify(ctx, args.action[1:])
    if args.action:
        raise UsageError(f"不认识的操作 {args.action[0]}；复核请用 yibao draw verify [PATH]")
    return make(root, schemas, args)


def _records(root, schemas):
    from ..check.references import Index
    from ..speed.run import check_repository

    result = check_repository(root, schemas, want_data=True)
    return Index.build(result.records)


def make(root, schemas, args: argparse.Namespace) -> int:
    from ..check.draws import reproduce
    from ..core import draw as algo
    from ..core.record import Record
    from ..new import new_id, record_path

    missing = [name for name, value in (("--contract", args.contract), ("--date", args.date), ("--seed", args.seed),
                                        ("--seed-source", args.seed_source), ("--types", args.types)) if not value]
    if missing:
        raise UsageError(f"缺少 {'、'.join(missing)}；见 yibao draw --help")
    try:
        day = _dt.date.fromisoformat(args.date)
    except ValueError:
        raise UsageError(f"--date 应写成 YYYY-MM-DD（现在是 {args.date}）") from None
    known = schemas.terms("institution_type")
    unknown = [t for t in args.types if t not in known]
    if unknown:
        raise UsageError(f"不认识的机构类型 {'、'.join(unknown)}；可选：{'、'.join(known)}")
    per_type = {}
    for raw in args.per_type:
        name, sep, n = raw.partition("=")
        if not sep or name not in args.types or not n.isdigit():
            raise UsageError(f"--per-type 应写成 机构类型=数量，类型须在 --types 中（现在是 {raw}）")
        per_type[name] = int(n)
    tier_terms = schemas.terms("risk_tier")
    per_tier = {}
    for raw in args.per_risk_tier:
        name, sep, n = raw.partition("=")
        if not sep or name not in tier_terms or not n.isdigit():
            raise UsageError(f"--per-risk-tier 应写成 风险等级=数量，等级可选：{'、'.join(tier_terms)}（现在是 {raw}）")
        per_tier[name] = int(n)
    if per_tier and per_type:
        raise UsageError("--per-type 和 --per-risk-tier 只能用一个")
    if args.risk_tiers is not None and [v for v in args.risk_tiers if v not in tier_terms]:
        raise UsageError(f"不认识的风险等级 {'、'.join(v for v in args.risk_tiers if v not in tier_terms)}；可选：{'、'.join(tier_terms)}")
    role_terms = schemas.terms("staff_role")
    required = []
    for raw in args.require:
        name, sep, n = raw.partition("=")
        if not sep or name not in role_terms or not n.isdigit() or int(n) < 1 or name in [r["role"] for r in required]:
            raise UsageError(f"--require 应写成 岗位=人数（人数至少 1，每个岗位一次），岗位可选：{'、'.join(role_terms)}（现在是 {raw}）")
        required.append({"role": name, "min": int(n)})
    strata_counts = per_tier or per_type
    count = sum(strata_counts.values()) if strata_counts else args.count
    if not count or count < 1:
        raise UsageError("请用 --count 或 --per-type 给出抽取机构数")
    levels = schemas.terms("institution_level")
    if args.levels is not None and [v for v in args.levels if v not in levels]:
        raise UsageError(f"不认识的机构等级 {'、'.join(v for v in args.levels if v not in levels)}；可选：{'、'.join(levels)}")
    if args.not_inspected_months is not None and not 1 <= args.not_inspected_months <= 120:
        raise UsageError(f"--not-inspected-months 应为 1 到 120 的月数（现在是 {args.not_inspected_months}）")
    if args.inspectors < 2:
        raise UsageError("每家检查人员至少 2 人（《医疗保障基金使用监督管理条例》第二十九条）")
    index = _records(root, schemas)
    contract = index.get("contract", args.contract)
    if contract is None:
        raise UsageError(f"项目 {args.contract} 不存在（records/contract/ 下没有 {args.contract}.yaml）")
    purpose = args.purpose or next(iter(schemas.vocab("inspection_type").get("x-requires-draw", {})), None)
    ident = new_id(schemas, KIND, day.year, lambda i: index.exists(KIND, i) or (root / record_path(KIND, i)).exists())
    filters = ([f"等级为{'、'.join(dict.fromkeys(args.levels))}"] if args.levels else []) + (
        [f"抽取日风险等级为{'、'.join(dict.fromkeys(args.risk_tiers))}"] if args.risk_tiers else []) + (
        ["按风险等级分层，未评定风险等级的不在范围内"] if per_tier else []) + (
        [f"抽取日前 {args.not_inspected_months} 个月内未开始过检查"] if args.not_inspected_months else [])
    frame_spec = {"description": args.description or f"项目 {args.contract} 在 {args.date} 的监管范围内的{'、'.join(args.types)}"
                                                     + (f"（{'，'.join(filters)}）" if filters else ""),
                  "institution_types": list(args.types), "count": count}
    if args.levels:
        frame_spec["levels"] = list(dict.fromkeys(args.levels))
    if args.risk_tiers:
        frame_spec["risk_tiers"] = list(dict.fromkeys(args.risk_tiers))
    if args.not_inspected_months:
        frame_spec["not_inspected_months"] = args.not_inspected_months
    if per_type:
        frame_spec["per_type"] = per_type
    if per_tier:
        frame_spec["per_risk_tier"] = per_tier
    data = {"id": ident, "contract": args.contract, "date": args.date, "purpose": purpose, "seed": args.seed,
            "seed_source": args.seed_source, "algorithm": algo.ALGORITHM, "frame": frame_spec,
            "pool": {"min_per_target": args.inspectors, "exclude_last_inspectors": bool(args.exclude_last_inspectors),
                     **({"roles": required} if required else {})}}
    got, reason = reproduce(Record(KIND, record_path(KIND, ident), data), contract, list(index.records_of("institution")),
                            list(index.records_of("staff")), list(index.records_of("inspection")), schemas)
    if got is None:
        raise UsageError(f"无法抽取：{reason}")
    frame_spec.update({"strata": got.strata, "ids_sha256": got.frame_sha256, "size": got.frame_size})
    data["pool"] = {"ids_sha256": got.pool_sha256, "size": got.pool_size, **data["pool"]}
    data["result"] = got.result
    relpath = record_path(KIND, ident)
    text = render(data)
    if args.dry_run:
        sys.stdout.write(text)
    else:
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _say(f"{'将生成' if args.dry_run else '已生成'} {relpath}")
    _say(f"抽取范围 {got.frame_size} 家（{_strata(got.strata)}），人员库 {got.pool_size} 人；种子：{args.seed}")
    for n, entry in enumerate(got.result, 1):
        _say(f"  {n}. {entry['institution']}：检查人员 {'、'.join(entry['inspectors'])}")
    _say(f"复核：yibao draw verify {relpath}")
    return EXIT_OK


def _strata(strata: dict) -> str:
    return "，".join(f"{k} {v} 家" for k, v in strata.items()) or "无"


def render(data: dict) -> str:
    """The record as YAML (block style, keys in schema order)."""
    import yaml

    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    return text.replace(f"\ndate: '{data['date']}'\n", f"\ndate: {data['date']}\n", 1)  # dates unquoted, as in every record


def verify(ctx: Context, paths: list[str]) -> int:
    root, schemas = ctx.root, ctx.schemas
    from ..speed.run import check_repository

    wanted = {ctx.relative(p) for p in paths}
    result = check_repository(root, schemas, want_data=True)
    folder = f"records/{KIND}/"
    found = {r.path: r for r in result.records if r.kind == KIND}
    paths = sorted(p for p in {*found, *(d.path for d in result.errors if d.path.startswith(folder))} if not wanted or p in wanted)
    if wanted - set(paths):
        raise UsageError(f"不是抽取记录：{'、'.join(sorted(wanted - set(paths)))}")
    failed = 0
    for path in paths:
        # a draw that does not pass its own checks cannot be re-run either
        problems = [d for d in result.errors if d.path == path]
        if problems:
            failed += 1
            for d in problems:
                print(d.text())
        else:
            print(f"{path}: 复核通过：按种子和本仓库 {found[path].get('date')} 的数据重新抽取，结果一致")
    draws = paths
    print(f"复核 {len(draws)} 个抽取记录，{failed} 个不能复现。" if draws else "没有抽取记录（records/draw/）。")
    return EXIT_INVALID if failed else EXIT_OK


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
