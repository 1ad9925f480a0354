"""The services' messages (English, for developers) in the workbench's plain Chinese.

One table for the project's own messages (matched by a phrase they contain), one for pydantic's generic ones
(matched from their start, their numbers kept). A message neither table knows is shown as the service wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from workbench.api import Problem

# The project's own messages (services and subsidy_shared): a phrase of the message → its words. First match wins,
# so these come before pydantic's generic messages (e.g. "input should be 'guardian'…" before any literal choice).
PROJECT: tuple[tuple[str, str], ...] = (
    ("an id number has 18 characters", "身份证号应为18位"),
    ("an id number is 17 digits followed by a digit or x", "身份证号应为17位数字加1位数字或X"),
    ("the birth date inside the id number is not a real date", "身份证号中的出生日期不是真实日期"),
    ("the birth date inside the id number is not a plausible date", "身份证号中的出生日期不合理"),
    ("the check digit does not match", "身份证号校验位不正确，请核对（GB 11643）"),
    ("a certificate number has 20 characters", "残疾人证号应为20位：18位身份证号加残疾类别和等级各1位"),
    ("the 19th character is the category", "残疾人证号第19位是残疾类别，应为1（视力）至7（多重）"),
    ("the 20th character is the grade", "残疾人证号第20位是残疾等级，应为1（一级）至4（四级）"),
    ("certificate_number must begin with the applicant's id number", "残疾人证号的前18位应与申请人身份证号一致"),
    ("the agent (代办人) is someone other than the applicant", "代办人应是申请人以外的人"),
    ("a region code has 6 (county), 9 (township) or 12 (village) digits", "户籍地代码应为6位（县）或9位（乡镇、街道）"),
    ("is not a gb/t 2260 region code", "户籍地代码的前6位不是有效的县级行政区划代码（GB/T 2260）"),
    ("a township code does not end in 000", "乡镇（街道）代码的后3位不能是000"),
    ("a mobile number", "请填写11位手机号，或带区号的固定电话（如 0451-86661234）"),
    ("a person's name", "姓名只能由文字组成，·、'、- 或空格只能在中间"),
    ("a bank account number is 12 to 30 digits", "银行账号应为12至30位数字"),
    ("each subsidy is asked for once", "每项补贴只能选择一次"),
    ("input should be 'guardian'", "请选择代办人与申请人的关系"),
    ("input should be 'sms'", "请选择告知方式"),
    ("one line only", "只能填写一行，不能有换行或制表符"),
    ("text holds a control character", "含有不可见的控制字符"),
    ("a notification is recorded after it happened", "告知时间不能晚于现在"),
    ("the applicant cannot be told before the result came back", "告知时间不能早于结果返回的时间"),
    ("the result has not come back to this window yet", "户籍地的办理结果还没有返回本窗口，暂不能记录告知"),
    ("a material is a pdf, jpeg or png file", "材料须为 PDF、JPEG 或 PNG 文件（按文件内容检查）"),
    ("the file is empty", "文件是空的"),
    ("a material may be at most", "文件太大"),
    ("materials can no longer be added", "案件已推送户籍地，不能再补交材料"),
    ("not a material of this application's checklist", "不是本申请清单中的材料"),
    ("no person", "本辖区内没有此身份证号的申请记录"),
    ("a window clerk acts for a township", "受理窗口属于乡镇（街道）：请用9位行政区划代码登录"),
)

# What a field's items are, for pydantic's messages about how many were chosen ("请至少选择一项补贴").
ITEMS: Mapping[str, str] = {"subsidies": "补贴", "application_ids": "案件", "outcomes": "补贴"}

_COLLECTION = r"(?:list|value|tuple|set|frozenset|dictionary)"
# pydantic's generic messages (pydantic-core's error templates), matched from the start of the message: a pattern →
# its words, with {n} (the number in the message) and {items} (what the field's items are, or nothing).
PYDANTIC: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), words)
    for pattern, words in (
        (r"^field required", "请填写此项"),
        (r"^string should have at least (?P<n>\d+) characters?", "填写的内容太短：至少{n}个字符"),
        (r"^string should have at most (?P<n>\d+) characters?", "填写的内容太长：最多{n}个字符"),
        (r"^string should match pattern", "填写的格式不正确"),
        (rf"^{_COLLECTION} should have at least (?P<n>\d+) items?", "请至少选择{n}项{items}"),
        (rf"^{_COLLECTION} should have at most (?P<n>\d+) items?", "最多只能选择{n}项{items}"),
        (r"^input should be a valid integer", "请填写整数"),
        (r"^input should be a valid (?:number|decimal)", "请填写数字"),
        (r"^input should be a valid datetime", "请填写有效的日期和时间"),
        (r"^input should be a valid date", "请填写有效的日期（如 2026-01-31）"),
        (r"^(?:input should be a valid uuid|uuid input should be)", "编号格式不正确"),
        (r"^input should be a valid boolean", "请选择是或否"),
        (r"^input should be greater than or equal to (?P<n>\S+)", "不能小于{n}"),
        (r"^input should be greater than (?P<n>\S+)", "应大于{n}"),
        (r"^input should be less than or equal to (?P<n>\S+)", "不能大于{n}"),
        (r"^input should be less than (?P<n>\S+)", "应小于{n}"),
        (r"^input should be '", "请从给出的选项中选择一项"),  # a literal or enum: "Input should be 'a', 'b' or 'c'"
        (r"^extra inputs are not permitted", "不能填写此项"),
    )
)


def zh(message: str, field: str = "") -> str:
    """A service's message in plain Chinese (its own text when there is no translation); `field` names what a
    message about the number of items chosen counts."""
    text = message.removeprefix("Value error, ").strip()
    lowered = text.lower()
    for english, chinese in PROJECT:
        if english in lowered:
            return chinese
    if "already" in lowered and "重复领取" in text:
        return "此人已有同一补贴的申请或正在享受该补贴（不得重复领取）"
    for pattern, words in PYDANTIC:
        found = pattern.match(text)
        if found:
            n = (found.groupdict().get("n") or "").rstrip(".,")
            if n == "1" and "{n}项" in words:
                n = "一"  # 请至少选择一项
            return words.format(n=n, items=ITEMS.get(field.split(".", 1)[0], ""))
    return text


def field_messages(problem: Problem) -> dict[str, str]:
    """`problem.field_errors()` with each message in plain Chinese (field name → message; "_" for the body)."""
    return {name: zh(message, name) for name, message in problem.field_errors().items()}
