"""The services' messages in plain Chinese: the project's own, pydantic's generic ones, and the rest as they are."""

from __future__ import annotations

import pytest
from workbench.api import Problem
from workbench.messages import field_messages, zh

CASES = [
    # (message, field, words)
    ("Field required", "", "请填写此项"),
    ("String should have at least 2 characters", "bank_account.bank", "填写的内容太短：至少2个字符"),
    ("String should have at least 1 character", "reason", "填写的内容太短：至少1个字符"),
    ("String should have at most 60 characters", "label", "填写的内容太长：最多60个字符"),
    ("String should match pattern '^\\d{4}-\\d{2}$'", "from_month", "填写的格式不正确"),
    ("List should have at least 1 item after validation, not 0", "subsidies", "请至少选择一项补贴"),
    ("Value should have at least 2 items after validation, not 0", "", "请至少选择2项"),
    ("List should have at least 1 item after validation, not 0", "application_ids", "请至少选择一项案件"),
    ("List should have at most 500 items after validation, not 501", "application_ids", "最多只能选择500项案件"),
    ("Tuple should have at most 2 items after validation, not 3", "", "最多只能选择2项"),
    ("Input should be a valid integer, unable to parse string as an integer", "limit", "请填写整数"),
    ("Input should be a valid number, unable to parse string as a number", "", "请填写数字"),
    (
        "Input should be a valid date in the format YYYY-MM-DD, input is too short",
        "from_date",
        "请填写有效的日期（如 2026-01-31）",
    ),
    ("Input should be a valid date or datetime, invalid date separator", "", "请填写有效的日期（如 2026-01-31）"),
    ("Input should be a valid datetime, invalid character in hour", "notified_at", "请填写有效的日期和时间"),
    (
        "Input should be a valid UUID, invalid length: expected length 32 for simple format, found 3",
        "",
        "编号格式不正确",
    ),
    ("UUID input should be a string, bytes or UUID object", "", "编号格式不正确"),
    ("Input should be a valid boolean, unable to interpret input", "proxy", "请选择是或否"),
    ("Input should be greater than or equal to 1", "limit", "不能小于1"),
    ("Input should be less than or equal to 500", "limit", "不能大于500"),
    ("Input should be 'living' or 'nursing'", "subsidies.0", "请从给出的选项中选择一项"),
    ("Input should be 'pass' or 'reject'", "outcome", "请从给出的选项中选择一项"),
    ("Extra inputs are not permitted", "surname", "不能填写此项"),
    # the project's own messages, before any generic one
    (
        "Value error, a bank account number is 12 to 30 digits",
        "bank_account.account_number",
        "银行账号应为12至30位数字",
    ),
    (
        "Value error, the check digit does not match (expected 7)",
        "applicant.id_number",
        "身份证号校验位不正确，请核对（GB 11643）",
    ),
    (
        "Input should be 'guardian', 'family', 'village_committee' or 'other'",
        "agent.relation",
        "请选择代办人与申请人的关系",
    ),
    ("Input should be 'sms', 'phone', 'in_person' or 'letter'", "channel", "请选择告知方式"),
    ("already applied (不得重复领取)", "", "此人已有同一补贴的申请或正在享受该补贴（不得重复领取）"),
    # unknown messages pass through unchanged (only pydantic's "Value error, " prefix goes)
    (
        "a decision against the recommendation needs a reason",
        "reason",
        "a decision against the recommendation needs a reason",
    ),
    ("Value error, region 230102 is outside your area", "region", "region 230102 is outside your area"),
    ("已有中文的说明", "", "已有中文的说明"),
    ("", "", ""),
]


@pytest.mark.parametrize(("message", "field", "words"), CASES)
def test_a_message_in_plain_chinese(message: str, field: str, words: str) -> None:
    assert zh(message, field) == words


def test_field_messages_translates_each_field_of_a_problem() -> None:
    problem = Problem(
        422,
        "Unprocessable Entity",
        "",
        [
            {"loc": ["body", "application_ids"], "msg": "List should have at least 1 item after validation, not 0"},
            {"loc": ["body", "reason"], "msg": "needs a reason"},
            {"loc": ["body"], "msg": "Field required"},
        ],
    )
    assert field_messages(problem) == {
        "application_ids": "请至少选择一项案件",
        "reason": "needs a reason",
        "_": "请填写此项",
    }
