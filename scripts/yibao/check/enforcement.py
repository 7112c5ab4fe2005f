"""Decisions checked against the law: a case's actions, fine and recovery against the provisions it
applies (``records/provision/``), and a whistle-blower's reward against the reward policy it names
(``records/reward_policy/``).

Which action is the fine, the order to return money, no penalty, or a referral to another authority
comes from the vocabulary (``case_action``: ``x-fine``, ``x-recovery``, ``x-no-penalty``,
``x-referral``); which of the case's amounts a multiple is taken of, from ``fine_basis``
(``x-money-fields``). The figures (multiples, fixed ranges, caps, tiers) are the records' own.

- ``provision-missing`` (warning): a case decided on penalties names no provision (``provisions``).
- ``provision-subject-mismatch`` (error): a cited provision does not apply to the case's subject type.
- ``provision-not-in-force`` (error): a cited provision took effect after the case was decided.
  行政处罚法 (2021) Art. 37 applies the rules in force when the violation happened, or newer lighter
  ones in force at the decision; neither admits a rule not yet in force on the decision date (the
  article's text was found in unofficial copies only). Cases record no violation date, so the
  first half of the article cannot be checked.
- ``action-not-allowed`` (error): an action that none of the cited provisions allows.
- ``recovery-amount-missing`` (error): 责令退回 without the amount ordered back.
- ``fine-out-of-range`` (error): the fine lies outside every range the cited provisions give for
  the case's amounts (or none of them allows a fine); ``fine-amount-missing`` (error): the fine
  as an action without its amount.
- ``reward-over-cap`` / ``reward-below-minimum`` / ``reward-over-rule`` (errors): a reward above the
  policy's maximum, below its minimum, or above the highest tier's share of the case value; the
  messages never quote the reward itself (it is confidential). ``reward-policy-missing`` (warning).
"""
from __future__ import annotations

from decimal import ROUND_UP, Decimal, InvalidOperation
from typing import Callable

from ..core.money import yuan
from ..core.record import Record, as_date
from ..core.schemas import SchemaSet

Report = Callable[..., None]
FEN = Decimal("0.01")


def amount(value: object) -> Decimal | None:
    """An amount as loaded (Decimal or int) or as a cross-record view holds it (text); else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value)) if isinstance(value, (int, float, str, Decimal)) else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() else None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def base_amount(money: dict, basis: object, schemas: SchemaSet) -> tuple[str, Decimal] | None:
    """(the money field, its amount) a multiple is taken of: the first of the basis's
    ``x-money-fields`` the case has."""
    fields = schemas.vocab("fine_basis").get("x-money-fields", {}).get(basis if isinstance(basis, str) else "", [])
    for name in fields:
        value = amount(money.get(name))
        if value is not None:
            return name, value
    return None


def fine_ranges(provision: Record, money: dict, schemas: SchemaSet) -> list[tuple[Decimal, Decimal, str]]:
    """(lowest, highest, how it was worked out) of each fine range the provision gives for the case's amounts."""
    fine = _dict(provision.get("fine"))
    citation = provision.get("citation") or provision.id
    out = []
    low, high = amount(fine.get("min_multiple")), amount(fine.get("max_multiple"))
    if low is not None and high is not None:
        found = base_amount(money, fine.get("multiple_of"), schemas)
        if found is not None:
            field, base = found
            label = schemas.title("case", ("money", field)).replace("（元）", "")
            out.append(((base * low).quantize(FEN), (base * high).quantize(FEN),
                        f"{citation}：{fine.get('multiple_of')}（按{label} {yuan(base)} 元）的 {_num(low)} 至 {_num(high)} 倍，"
                        f"即 {yuan(base * low)} 至 {yuan(base * high)} 元"))
    low, high = amount(fine.get("min_yuan")), amount(fine.get("max_yuan"))
    if low is not None and high is not None:
        out.append((low, high, f"{citation}：{yuan(low)} 至 {yuan(high)} 元"))
    return out


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def withdrawn(record: Record, schemas: SchemaSet) -> bool:
    """A withdrawn case decides nothing (``x-withdrawn`` of ``case_status``)."""
    return record.get("status") in schemas.vocab("case_status").get("x-withdrawn", [])


def case_follows_provisions(record: Record, index, schemas: SchemaSet, report: Report) -> None:
    """A decided case's actions, recovery and fine against the provisions it cites."""
    actions = _strings(record.get("actions"))
    if not actions or withdrawn(record, schemas):
        return
    vocab = schemas.vocab("case_action")
    exempt = set(vocab.get("x-no-penalty", [])) | set(vocab.get("x-referral", []))
    penalties = [a for a in actions if a not in exempt]
    cited = [(i, ident, index.get("provision", ident)) for i, ident in enumerate(_strings(record.get("provisions")))]
    if penalties and not cited:
        report(record, "provision-missing",
               f"处理措施（{'、'.join(penalties)}）没有写适用条款：请在 provisions 中写明依据的条款编号（records/provision/）", ("actions",), True)
        return
    found = [(i, p) for i, _, p in cited if p is not None]  # an unresolved reference is reported on its own
    if not found:
        return
    subject = record.get("subject.type")
    decided = as_date(record.get("timeline.decided_on"))
    for i, provision in found:
        since = as_date(provision.get("effective_from"))
        if decided is not None and since is not None and decided < since:
            report(record, "provision-not-in-force",
                   f"{provision.get('citation')}（{provision.id}）自 {since} 起施行，本案 {decided} 作出决定时尚未施行，不能作为依据"
                   "（《行政处罚法》第三十七条：适用违法行为发生时的规定，决定时新规定处罚较轻的适用新规定；两者都不包括决定时尚未施行的规定）",
                   ("provisions", i))
        applies = _strings(provision.get("applies_to"))
        if isinstance(subject, str) and applies and subject not in applies:
            report(record, "provision-subject-mismatch",
                   f"{provision.get('citation')}（{provision.id}）适用于{'、'.join(applies)}，不适用于本案的{subject}", ("provisions", i))
    allowed = {a for _, p in found for a in _strings(p.get("actions"))}
    names = "、".join(str(p.get("citation")) for _, p in found)
    for i, action in enumerate(actions):
        if action in penalties and action not in allowed:
            report(record, "action-not-allowed",
                   f"处理措施“{action}”不是所引条款允许的措施（{names}允许：{'、'.join(sorted(allowed, key=_order(schemas)))}）", ("actions", i))
    money = _dict(record.get("money"))
    recovery = [a for a in actions if a in vocab.get("x-recovery", [])]
    if recovery and not any(base_amount(money, basis, schemas) for basis in schemas.terms("fine_basis")):
        report(record, "recovery-amount-missing",
               f"处理措施有“{recovery[0]}”，但没有写退回的金额（money.recovered，或按抽样外推认定的金额）；{names}要求责令退回的是造成损失或骗取的金额",
               ("actions", actions.index(recovery[0])))
    fine_terms = [a for a in actions if a in vocab.get("x-fine", [])]
    fined = amount(money.get("fined"))
    if fine_terms and fined is None:
        report(record, "fine-amount-missing", f"处理措施有“{fine_terms[0]}”，但没有写罚款金额（money.fined）", ("actions", actions.index(fine_terms[0])))
    if fined is None or fined == 0:
        return
    ranges = [r for _, p in found for r in fine_ranges(p, money, schemas)]
    if any(low <= fined <= high for low, high, _ in ranges):
        return
    if ranges:
        said = "；".join(how for _, _, how in ranges)
        report(record, "fine-out-of-range", f"罚款 {yuan(fined)} 元不在所引条款允许的幅度内（{said}）", ("money", "fined"))
    else:
        report(record, "fine-out-of-range", f"罚款 {yuan(fined)} 元没有依据：所引条款（{names}）都不设罚款，或本案缺少计算罚款的金额", ("money", "fined"))


def _order(schemas: SchemaSet):
    terms = schemas.terms("case_action")
    return lambda term: terms.index(term) if term in terms else len(terms)


def reward_follows_policy(record: Record, index, schemas: SchemaSet, report: Report) -> None:
    """A whistle-blower's reward within the policy it names (messages never quote the reward)."""
    reward = amount(record.get("whistleblower_reward"))
    if reward is None or withdrawn(record, schemas):
        return
    ident = record.get("reward_policy")
    if not isinstance(ident, str):
        report(record, "reward-policy-missing", "写了举报奖励，但没有写奖励依据（reward_policy）：无法核对奖励是否在办法规定的范围内",
               ("whistleblower_reward",), True)
        return
    policy = index.get("reward_policy", ident)
    if policy is None:
        return
    title = policy.get("title") or ident
    low, high = amount(policy.get("minimum")), amount(policy.get("maximum"))
    where = ("whistleblower_reward",)
    if high is not None and reward > high:
        report(record, "reward-over-cap", f"举报奖励超过《{title}》（{ident}）规定的最高奖励 {yuan(high)} 元", where)
        return
    if low is not None and reward < low:
        report(record, "reward-below-minimum", f"举报奖励低于《{title}》（{ident}）规定的最低奖励 {yuan(low)} 元", where)
        return
    rates = [amount(_dict(t).get("rate")) for t in policy.get("tiers") or [] if isinstance(t, dict)]
    rates = [r for r in rates if r is not None]
    found = base_amount(_dict(record.get("money")), policy.get("base"), schemas)
    if not rates or found is None:
        return
    top = max(rates) * found[1]
    ceiling = max(top, low or Decimal(0))
    ceiling = min(ceiling, high) if high is not None else ceiling
    if reward > ceiling.quantize(FEN, rounding=ROUND_UP):  # the share rounded up to the fen, no more
        report(record, "reward-over-rule",
               f"举报奖励超过《{title}》（{ident}）按最高档比例 {_num(max(rates) * 100)}% 计算的 {yuan(ceiling)} 元（案值 {yuan(found[1])} 元）", where)
