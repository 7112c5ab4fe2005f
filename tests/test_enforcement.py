"""Decisions checked against the law (check.enforcement): each rule broken on a copy of the demo is
caught with a Chinese message naming the provision; the figures are worked out here by hand.

Hand-computed ranges (amounts from the demo records, multiples from records/provision/):
- AJ-2024-HCXGJB (pharmacy, 第三十八条: 1-2 times the loss): recovered 11,330.10, so a fine lies in
  11,330.10 … 22,660.20; 22,660.21 is one fen over, 11,330.09 one fen under.
- AJ-2024-EKX5AD (insured person, 第四十一条第二款: 2-5 times the amount obtained by fraud): recovered
  11,603.47, so 23,206.94 … 58,017.35; the demo's fine is 23,206.94 (2 times).
- AJ-2024-8QTAZE (hospital, 第四十条 2-5 times): recovered 20,280.56, fine 101,402.80 = 5 times exactly;
  101,402.81 is over.
- Rewards (JL-2023-DEMO: at least 200, at most 100,000 yuan, the highest tier 4%): AJ-2024-V1AMDB
  recovered 2,777.53, so 4% is 111.10 and the minimum 200 applies: 200.00 passes, 200.01 is over the
  rule; 900,000 is over the cap; 199.99 under the minimum.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from demo_copy import copy_demo, edit

PROJECT = Path(__file__).resolve().parents[1]
HCXGJB = "records/case/2024/AJ-2024-HCXGJB.yaml"
EKX5AD = "records/case/2024/AJ-2024-EKX5AD.yaml"
QTAZE = "records/case/2024/AJ-2024-8QTAZE.yaml"
V1AMDB = "records/case/2024/AJ-2024-V1AMDB.yaml"
SC01GZ = "records/case/2024/AJ-2024-SC01GZ.yaml"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def findings(run, severity: str = "error") -> list[tuple[str, str, str]]:
    return re.findall(rf"^(records/\S+?):\d+:\d+: {severity}\[([a-z-]+)\] (.*)$", run.out, re.M)


def test_demo_decisions_follow_their_provisions(demo, yibao):
    run = yibao("validate", cwd=demo)
    assert run.rc == 0, run.out
    assert not [f for f in findings(run, "warning") if f[1] in ("provision-missing", "reward-policy-missing")], run.out
    assert "法律条款 13" in run.out and "举报奖励办法 1" in run.out


@pytest.mark.parametrize("path, old, new, article", [
    (HCXGJB, "fined: 11330.10", "fined: 22660.21", "第三十八条"),   # one fen over 2 x 11,330.10
    (HCXGJB, "fined: 11330.10", "fined: 11330.09", "第三十八条"),   # one fen under 1 x
    (HCXGJB, "fined: 11330.10", "fined: 759116.70", "第三十八条"),  # 67 times the recovered amount
    (EKX5AD, "fined: 23206.94", "fined: 23206.93", "第四十一条第二款"),  # under 2 x 11,603.47
    (EKX5AD, "fined: 23206.94", "fined: 58017.36", "第四十一条第二款"),  # over 5 x
    (QTAZE, "fined: 101402.80", "fined: 101402.81", "第四十条"),     # over 5 x 20,280.56
])
def test_a_fine_outside_its_provisions_range_is_caught(demo, yibao, path, old, new, article):
    edit(demo, path, old, new)
    run = yibao("validate", cwd=demo)
    assert run.rc == 1
    caught = [f for f in findings(run) if f[0] == path and f[1] == "fine-out-of-range"]
    assert caught and article in caught[0][2], run.out


@pytest.mark.parametrize("path, old, new", [
    (HCXGJB, "fined: 11330.10", "fined: 22660.20"),    # 2 x exactly
    (HCXGJB, "fined: 11330.10", "fined: 11330.10"),    # 1 x exactly
    (EKX5AD, "fined: 23206.94", "fined: 58017.35"),    # 5 x exactly
])
def test_a_fine_on_the_edge_of_its_range_passes(demo, yibao, path, old, new):
    edit(demo, path, old, new)
    run = yibao("validate", cwd=demo)
    assert run.rc == 0, run.out


def test_a_fine_under_a_provision_without_fines_is_caught(demo, yibao):
    """Art. 41 para. 1 (no fine): citing it instead of para. 2 leaves the fine without a basis."""
    edit(demo, EKX5AD, "provisions: [FT-L735-41-2]", "provisions: [FT-L735-41]")
    run = yibao("validate", cwd=demo)
    codes = {(f[0], f[1]) for f in findings(run)}
    assert (EKX5AD, "fine-out-of-range") in codes and (EKX5AD, "action-not-allowed") in codes, run.out
    assert any("“罚款”" in f[2] and "第四十一条第一款" in f[2] for f in findings(run)), run.out


def test_an_action_the_provision_does_not_allow_is_caught(demo, yibao):
    """第三十八条 alone allows no 通报批评 (that comes from the agreement)."""
    edit(demo, HCXGJB, "provisions: [FT-L735-38, FT-FWXY-0]", "provisions: [FT-L735-38]")
    run = yibao("validate", cwd=demo)
    caught = [f for f in findings(run) if f[0] == HCXGJB and f[1] == "action-not-allowed"]
    assert caught and "“通报批评”" in caught[0][2] and "第三十八条" in caught[0][2], run.out


def test_a_provision_for_another_subject_is_caught(demo, yibao):
    edit(demo, HCXGJB, "provisions: [FT-L735-38, FT-FWXY-0]", "provisions: [FT-L735-41-2, FT-FWXY-0]")
    run = yibao("validate", cwd=demo)
    caught = [f for f in findings(run) if f[0] == HCXGJB and f[1] == "provision-subject-mismatch"]
    assert caught and "第四十一条第二款" in caught[0][2] and "定点零售药店" in caught[0][2], run.out


def test_an_order_to_return_money_needs_the_amount(demo, yibao):
    edit(demo, SC01GZ, "  recovered: 2380.00\n", "")
    run = yibao("validate", cwd=demo)
    caught = [f for f in findings(run) if f[0] == SC01GZ and f[1] == "recovery-amount-missing"]
    assert caught and "第三十八条" in caught[0][2], run.out


def test_penalties_without_a_provision_are_a_warning(demo, yibao):
    edit(demo, SC01GZ, "provisions: [FT-L735-38]\n", "")
    run = yibao("validate", cwd=demo)
    assert run.rc == 0, run.out
    assert (SC01GZ, "provision-missing") in {(f[0], f[1]) for f in findings(run, "warning")}, run.out


def test_refused_plus_recovered_over_involved_stays_a_warning(demo, yibao):
    edit(demo, SC01GZ, "  involved: 2380.00", "  involved: 2000.00")
    run = yibao("validate", cwd=demo)
    assert run.rc == 0, run.out
    assert (SC01GZ, "money-exceeds-involved") in {(f[0], f[1]) for f in findings(run, "warning")}


# -- rewards ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reward, code", [
    ("900000.00", "reward-over-cap"),
    ("100000.01", "reward-over-cap"),
    ("199.99", "reward-below-minimum"),
    ("200.01", "reward-over-rule"),   # 4% of 2,777.53 is 111.10: the minimum 200 is the most
])
def test_a_reward_outside_its_policy_is_caught_without_quoting_it(demo, yibao, reward, code):
    edit(demo, V1AMDB, "whistleblower_reward: 200.00", f"whistleblower_reward: {reward}")
    run = yibao("validate", cwd=demo)
    assert run.rc == 1
    caught = [f for f in findings(run) if f[0] == V1AMDB and f[1] == code]
    assert caught and "JL-2023-DEMO" in caught[0][2], run.out
    assert reward not in run.out and reward.rstrip("0").rstrip(".") not in caught[0][2]  # confidential


def test_a_reward_within_its_policy_passes(demo, yibao):
    run = yibao("validate", cwd=demo)
    assert not [f for f in findings(run) if f[1].startswith("reward")], run.out


def test_provision_ranges_must_be_in_order(demo, yibao):
    edit(demo, "records/provision/FT-L735-38.yaml", "  max_multiple: 2\n", "  max_multiple: 0.5\n")
    run = yibao("validate", cwd=demo)
    assert ("records/provision/FT-L735-38.yaml", "range-order") in {(f[0], f[1]) for f in findings(run)}, run.out


def test_every_provision_says_where_its_figures_come_from():
    """A provision whose figures were not checked against an official text says so (source.official
    false with a note), never silently."""
    from yibao.load.strict_yaml import load_bytes

    for path in sorted((PROJECT / "records" / "provision").glob("*.yaml")):
        data, problems, _ = load_bytes(path.read_bytes())
        assert not problems
        source = data["source"]
        assert source["where"]
        if not source["official"]:
            assert source.get("note"), path.name


def test_a_provision_not_yet_in_force_on_the_decision_date_is_caught(demo, yibao):
    """AJ-2024-HCXGJB was decided on 2024-08-17 under 第三十八条 (in force since 2021-05-01); a decision
    dated 2021-04-30 comes a day before the 条例 took effect (other rules object to the date too)."""
    edit(demo, HCXGJB, "decided_on: 2024-08-17", "decided_on: 2021-04-30")
    run = yibao("validate", cwd=demo)
    caught = [f for f in findings(run) if f[0] == HCXGJB and f[1] == "provision-not-in-force"]
    assert caught and "自 2021-05-01 起施行" in caught[0][2] and "第三十七条" in caught[0][2], run.out
