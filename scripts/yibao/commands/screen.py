"""``yibao screen``: run the rule library over a data folder; ``yibao generate-claims``: synthetic
settlement data with planted violations; ``yibao lead promote``: leads into case records.

The data folder (settlement data, leads) never enters git; only the rules (``records/rule/``),
the demo reference tables (``schemas/reference/``) and promoted cases (no personal data) do.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from decimal import Decimal
from pathlib import Path

from .context import EXIT_INVALID, EXIT_OK, Context, UsageError

REFERENCE = Path("schemas") / "reference"
EXAMPLES = """示例：
  yibao generate-claims --data /srv/yibao-data/demo --contract HT-2024-KLMY --fee-lines 1000000
  YIBAO_PSEUDONYM_KEY=… yibao screen --data /srv/yibao-data/demo                      # DuckDB（默认）
  yibao screen --data /srv/yibao-data/demo --engine spark --key-file ~/yibao.key       # 同一批规则在 Spark 上运行
  yibao screen --data hdfs:///yibao/2024 --engine spark --master yarn --rules GZ-001 GZ-009 --period 2024-01-01..2024-06-30
  yibao lead promote --data /srv/yibao-data/demo XS-0A1B2C3D4E --date 2024-10-08"""


def register(sub) -> None:
    p = sub.add_parser("screen", help="用筛查规则（records/rule/）筛查医保结算数据，疑点线索写入数据目录",
                       description="在数据目录（不入库）的结算数据上运行规则库：默认 DuckDB，--engine spark 在 Spark 上运行同一条 SQL（SQLGlot 翻译）。"
                                   "人员编号用 HMAC-SHA-256 化名后才写出；线索和不含个人信息的汇总写入 数据目录/leads/<批次>/。",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, metavar="DIR", help="数据目录（Parquet 或 CSV，见 README“医保结算数据筛查”）")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb", help="计算引擎（默认 duckdb）")
    p.add_argument("--rules", nargs="+", metavar="ID", help="只运行这些规则（默认全部有效规则）")
    p.add_argument("--period", metavar="FROM..TO", help="只筛查这段时间的数据，例如 2024-01-01..2024-06-30")
    p.add_argument("--key-file", metavar="PATH", help="化名密钥文件（仓库之外）；不给时读环境变量 YIBAO_PSEUDONYM_KEY")
    p.add_argument("--memory-limit", default="2GB", metavar="SIZE", help="DuckDB 内存上限，超出部分写入临时目录（默认 2GB）")
    p.add_argument("--threads", type=int, metavar="N", help="DuckDB 线程数（默认全部 CPU 核）")
    p.add_argument("--master", default="local[2]", metavar="URL", help="Spark master（默认 local[2]；集群如 spark://host:7077 或 yarn）")
    p.add_argument("--check-only", action="store_true", help="只检查数据目录的表和列，不运行规则")
    p.set_defaults(func=run_screen)

    g = sub.add_parser("generate-claims", help="生成含已知违规的合成医保结算数据（写入数据目录，不入库）",
                       description="按仓库中的机构记录生成一个地区一年的合成结算数据（就诊、结算、费用明细、诊断、进销存），"
                                   "并在已知的行中植入每条规则对应的违规，清单写入 planted.jsonl。相同种子生成相同的数据。")
    g.add_argument("--data", required=True, metavar="DIR", help="输出的数据目录（必须不存在或为空，且在仓库之外）")
    g.add_argument("--contract", metavar="ID", help="只用该项目监管范围内的机构（默认全部医疗机构和药店）")
    g.add_argument("--fee-lines", type=int, default=20000, metavar="N", help="费用明细行数（约数，默认 20000）")
    g.add_argument("--seed", type=int, default=1, metavar="S", help="随机种子（默认 1）")
    g.add_argument("--year", type=int, default=2024, metavar="YYYY", help="数据年度（默认 2024）")
    g.add_argument("--per-rule", type=int, default=2, metavar="K", help="每条规则植入几处违规（默认 2）")
    g.add_argument("--format", choices=("parquet", "csv"), default="parquet", help="文件格式（默认 parquet）")
    g.set_defaults(func=run_generate)

    lead = sub.add_parser("lead", help="疑点线索：lead promote 把选定的线索转为案件记录（线索来源为数据筛查）",
                          description="把筛查得到的线索转为案件线索记录（records/case/），违规类型和涉及金额取自规则和线索；"
                                      "证据行的键留在数据目录中，案件只写线索号和批次号。")
    lead.add_argument("action", choices=("promote",), help="promote：转为案件")
    lead.add_argument("leads", nargs="+", metavar="XS-…", help="线索号")
    lead.add_argument("--data", required=True, metavar="DIR", help="数据目录")
    lead.add_argument("--run", metavar="RUN", help="筛查批次（默认最近一次）")
    lead.add_argument("--contract", metavar="ID", help="所属项目（默认按机构所在的项目推断）")
    lead.add_argument("--date", metavar="YYYY-MM-DD", help="登记日期（默认今天）")
    lead.set_defaults(func=run_lead)


# -- yibao screen ---------------------------------------------------------------------------------------
def _period(raw: str | None):
    if not raw:
        return None
    start, sep, end = raw.partition("..")
    try:
        period = (_dt.date.fromisoformat(start), _dt.date.fromisoformat(end))
    except ValueError:
        raise UsageError(f"--period 应写成 开始日期..结束日期，例如 2024-01-01..2024-06-30（现在是 {raw}）") from None
    if not sep or period[0] > period[1]:
        raise UsageError(f"--period 的开始日期应不晚于结束日期（现在是 {raw}）")
    return period


def _print_diagnostics(diagnostics) -> None:
    for d in sorted(diagnostics):
        print(d.text())


def run_screen(ctx: Context) -> int:
    args = ctx.args
    from ..screen import leads as L
    from ..screen.engines import EngineError, make_engine
    from ..screen.pseudonym import KeyError_, Pseudonymiser, load_key
    from ..screen.rules import load_rules
    from ..screen.tables import check_folder

    root = ctx.root
    period = _period(args.period)
    data = Path(args.data)
    rules, problems = load_rules(root, ctx.schemas, args.rules)
    if not rules and not problems:
        raise UsageError("没有有效的筛查规则（records/rule/）")
    needed = sorted({t for r in rules for t in r.tables})
    sources, found = check_folder(data, needed, root / REFERENCE)
    problems += found
    if problems:
        _print_diagnostics(problems)
        print(f"筛查未开始：发现 {len(problems)} 个问题。")
        return EXIT_INVALID
    if args.check_only:
        print(f"数据目录检查通过：{len(sources)} 张表（{'、'.join(sources)}）。")
        return EXIT_OK
    try:
        pseudonymise = Pseudonymiser(load_key(args.key_file, root))
    except KeyError_ as exc:
        raise UsageError(str(exc)) from None
    started = time.perf_counter()
    engine = make_engine(args.engine, memory_limit=args.memory_limit, threads=args.threads, master=args.master)
    all_leads = []
    failures = []
    try:
        engine.register(sources, period)
        with _progress(len(rules)) as advance:
            rules_left = rules
            if hasattr(engine, "run_many"):  # Spark: the whole library as one job
                try:
                    found = L.run_library(engine, rules)
                except EngineError:
                    pass  # rule by rule below, to name the rules at fault
                else:
                    for rule in rules:
                        all_leads += L.to_leads(rule, found[rule.id], pseudonymise)
                        advance(rule, len(found[rule.id]))
                    rules_left = []
            for rule in rules_left:
                try:
                    rows = L.run_library(engine, [rule])[rule.id]
                except EngineError as exc:
                    failures.append((rule, str(exc)))
                    advance(rule, None)
                    continue
                all_leads += L.to_leads(rule, rows, pseudonymise)
                advance(rule, len(rows))
    finally:
        engine.close()
    seconds = time.perf_counter() - started
    run_id = L.new_run_id(args.engine)
    info = L.summary(run_id, args.engine, period, rules, all_leads, seconds)
    folder = L.write_run(data, run_id, all_leads, info)
    _print_summary(info)
    print(f"线索已写入 {folder / L.LEADS_FILE}（{len(all_leads)} 条），汇总 {folder / L.SUMMARY_FILE}；用时 {seconds:.1f} 秒")
    for rule, message in failures:
        print(f"{rule.path}:1:1: error[rule-failed] 规则 {rule.id} 在 {args.engine} 上运行失败：{message}")
    return EXIT_INVALID if failures else EXIT_OK


class _progress:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar = None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("筛查", total=self.total)

        def advance(rule, hits):
            if self.bar is not None:
                self.bar.update(self.task, advance=1, description=f"{rule.id} {rule.name}")
        return advance

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False


def _print_summary(info: dict) -> None:
    print(f"{'规则':<8} {'线索':>6} {'涉及金额（元）':>16}  名称")
    for entry in info["rules"]:
        print(f"{entry['rule']:<8} {entry['leads']:>6} {entry['amount']:>16}  {entry['name']}")
    print(f"{'合计':<8} {info['leads']:>6} {info['amount']:>16}")


# -- yibao generate-claims ------------------------------------------------------------------------------
def institutions_by_role(root: Path, schemas, contract: str | None) -> dict[str, list[str]]:
    """Institution codes by their claims role (``x-claims-role`` of the vocabulary), in scope of a
    contract if given, withdrawn records left out."""
    from ..core.record import RECORDS, Record
    from ..core.scope import matches_scope
    from ..load import strict_yaml

    roles = schemas.vocab("institution_type").get("x-claims-role", {})
    withdrawn = set(schemas.vocab("record_status").get("x-withdrawn", []))
    scope = None
    if contract:
        path = root / RECORDS / "contract" / f"{contract}.yaml"
        data = strict_yaml.load_bytes(path.read_bytes())[0] if path.is_file() else None
        if not data:
            raise UsageError(f"没有项目 {contract}（{path.relative_to(root)}）")
        scope = Record("contract", path.name, data)
    out: dict[str, list[str]] = {role: [] for role in roles.values()}
    for path in sorted((root / RECORDS / "institution").glob("*.yaml")):
        data = strict_yaml.load_bytes(path.read_bytes())[0] or {}
        role = roles.get(data.get("type"))
        if role and data.get("status") not in withdrawn and (scope is None or matches_scope(scope, Record("institution", path.name, data))):
            out[role].append(str(data["id"]))
    return out


def run_generate(ctx: Context) -> int:
    args = ctx.args
    from ..generate.claims import generate_claims, policy_from_rules, read_catalogue
    from ..screen.rules import load_rules

    root = ctx.root
    data = Path(args.data).resolve()
    if data.is_relative_to(root.resolve()):
        raise UsageError(f"数据目录 {args.data} 在仓库内；结算数据含个人信息，只能放在仓库之外")
    if data.exists() and any(data.iterdir()):
        raise UsageError(f"数据目录 {args.data} 已有文件；请指定一个新目录")
    if args.fee_lines < 1 or args.per_rule < 1:
        raise UsageError("--fee-lines 和 --per-rule 应为正整数")
    by_role = institutions_by_role(root, ctx.schemas, args.contract)
    hospitals, pharmacies = by_role.get("medical", []), by_role.get("pharmacy", [])
    if len(hospitals) < 2 or len(pharmacies) < 3:
        raise UsageError(f"至少需要 2 家医疗机构和 3 家药店（现在 {len(hospitals)} 家医疗机构、{len(pharmacies)} 家药店）")
    rules, problems = load_rules(root, ctx.schemas)
    policy = policy_from_rules(rules)
    if policy is None:
        raise UsageError("没有医疗救助重算规则（带 income 和 categories 参数的规则），无法计算救助金额")
    if policy.secondary is None:
        raise UsageError("没有二次救助重算规则（带 groups 参数的规则），无法计算二次救助金额")
    catalogue = read_catalogue(root / REFERENCE / "catalogue.csv")
    started = time.perf_counter()
    counts = generate_claims(data, hospitals, pharmacies, catalogue, policy, fee_lines=args.fee_lines, seed=args.seed,
                             year=args.year, per_rule=args.per_rule, fmt=args.format)
    elapsed = time.perf_counter() - started
    print(f"已生成 {args.data}：就诊 {counts['mdtrt']}，结算 {counts['setl']}，费用明细 {counts['fee']}，诊断 {counts['diag']}，"
          f"参保人 {counts['persons']}，植入违规 {counts['planted']} 处（planted.jsonl）")
    sys.stderr.write(f"用时 {elapsed:.1f} 秒\n")
    return EXIT_OK


# -- yibao lead promote ----------------------------------------------------------------------------------
def run_lead(ctx: Context) -> int:
    args = ctx.args
    from ..speed.run import check_repository
    from ..core.record import RECORDS
    from ..generate.writer import RecordWriter
    from ..load import strict_yaml
    from ..new import new_id, record_path
    from ..screen import leads as L
    from ..screen.rules import load_rules

    root, schemas = ctx.root, ctx.schemas
    data = Path(args.data)
    runs = L.runs(data)
    if not runs:
        raise UsageError(f"数据目录 {args.data} 中没有筛查结果（leads/）；请先运行 yibao screen")
    folder = data / L.LEADS_FOLDER / args.run if args.run else runs[-1]
    if not (folder / L.LEADS_FILE).is_file():
        raise UsageError(f"没有筛查批次 {args.run}；可选：{'、'.join(p.name for p in runs)}")
    try:
        day = _dt.date.fromisoformat(args.date) if args.date else _dt.date.today()
    except ValueError:
        raise UsageError(f"--date 应写成 YYYY-MM-DD（现在是 {args.date}）") from None
    found = L.read_leads(folder)
    missing = [x for x in args.leads if x not in found]
    if missing:
        raise UsageError(f"批次 {folder.name} 中没有线索 {'、'.join(missing)}")
    rules = {r.id: r for r in load_rules(root, schemas)[0]}
    source = schemas.vocab("case_source").get("x-screening", [None])[0]
    registered = next((s for s, f in schemas.vocab("case_status").get("x-timeline", {}).items() if f == "timeline.registered_on"), None)
    if source is None or registered is None:
        raise UsageError("词表缺少 case_source 的 x-screening 或 case_status 的登记状态（x-timeline）")
    institutions = {}
    for path in (root / RECORDS / "institution").glob("*.yaml"):
        rec = strict_yaml.load_bytes(path.read_bytes())[0] or {}
        institutions[str(rec.get("id"))] = rec
    contracts = []
    for path in (root / RECORDS / "contract").glob("*.yaml"):
        rec = strict_yaml.load_bytes(path.read_bytes())[0] or {}
        contracts.append(rec)
    writer = RecordWriter(schemas)
    taken = {p.stem for p in (root / RECORDS / "case").rglob("*.yaml")}
    written = []
    for lead_id in args.leads:
        lead = found[lead_id]
        inst = institutions.get(lead.institution)
        if inst is None:
            raise UsageError(f"线索 {lead_id} 的机构 {lead.institution} 没有机构记录（records/institution/）")
        contract = args.contract or _contract_of(contracts, inst, day)
        if contract is None:
            raise UsageError(f"无法判断线索 {lead_id} 属于哪个项目；请用 --contract 指定")
        rule = rules.get(lead.rule)
        ident = new_id(schemas, "case", day.year, lambda x: x in taken)
        taken.add(ident)
        relpath = record_path("case", ident)
        period = lead.begin if lead.begin == lead.end else f"{lead.begin} 至 {lead.end}"
        record = {
            "id": ident, "contract": contract, "source": source,
            "subject": {"type": inst["type"], "institution": lead.institution},
            "violation_types": [lead.violation_type],
            "summary": (f"数据筛查规则 {lead.rule}（{rule.name if rule else lead.rule_name}）发现疑点：{period}，"
                        f"命中 {lead.hits} 项，涉及金额约 {lead.amount} 元（待核实）。"),
            "money": {"involved": Decimal(lead.amount)},
            "screening": {"rule": lead.rule, "run": folder.name, "lead": lead.lead_id},
            "timeline": {"registered_on": day},
            "status": registered, "disclosed": False,
            "notes": (f"筛查批次 {folder.name}，线索 {lead.lead_id}；证据行的键保存在医保局的数据目录中"
                      f"（leads/{folder.name}/{L.LEADS_FILE}），不入库。"),
        }
        target = root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(writer.text("case", relpath, record), encoding="utf-8")
        L.record_promotion(folder, lead, ident, relpath)
        written.append(relpath)
    result = check_repository(root, schemas, paths=written, want_data=False)
    problems = [d for d in result.diagnostics if d.path in written]
    for relpath in written:
        print(f"已写入 {relpath}")
    if problems:
        _print_diagnostics(problems)
        return EXIT_INVALID
    return EXIT_OK


def _contract_of(contracts: list[dict], institution: dict, day: _dt.date) -> str | None:
    """The one contract whose scope holds the institution (preferring those in their service period on ``day``)."""
    from ..core.record import Record, as_date
    from ..core.scope import matches_scope

    inst = Record("institution", "", institution)
    holding = [Record("contract", "", c) for c in contracts]
    holding = [c for c in holding if matches_scope(c, inst)]
    current = [c for c in holding if (as_date(c.get("period.start")) or day) <= day <= (as_date(c.get("period.end")) or day)]
    matches = [c.id for c in (current or holding)]
    return matches[0] if len(matches) == 1 else None
