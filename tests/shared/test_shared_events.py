"""Event contracts: CloudEvents envelopes round-trip for every type, and decoding refuses what it cannot read."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from subsidy_shared import events as ev
from subsidy_shared.ids import person_key
from subsidy_shared.topics import TOPICS

ID_NUMBER = "11010519491231002X"
PERSON_KEY = person_key(ID_NUMBER, "test-person-key-secret")
APPLICATION_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
RUN_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
FINDING_ID = uuid.UUID("00000000-0000-4000-8000-000000000003")
SUBMITTED_AT = datetime(2025, 9, 30, 2, 15, tzinfo=UTC)
LATER = datetime(2025, 10, 13, 8, 0, tzinfo=UTC)


def _person() -> ev.Person:
    return ev.Person(id_number=ID_NUMBER, name="张小三", phone="13800000000")


def _bank_account() -> ev.BankAccount:
    return ev.BankAccount(bank="中国农业银行", account_number="6228480012345678", holder_name="张小三")


def _reason() -> ev.Reason:
    return ev.Reason(rule_id="living.dibao", text="申请人属于低保家庭")


def _snapshot() -> ev.ApplicationSnapshot:
    return ev.ApplicationSnapshot(
        application_id=APPLICATION_ID,
        person_key=PERSON_KEY,
        applicant=_person(),
        hukou_region="230102001",
        accepting_region="510104001",
        certificate_number=ID_NUMBER + "41",
        subsidies=("living", "nursing"),
        bank_account=_bank_account(),
        agent=ev.Agent(id_number="230102197001010017", name="张大山", relation="family"),
        submitted_at=SUBMITTED_AT,
        materials_complete_at=SUBMITTED_AT,
        accepted_by="clerk-510104001-01",
    )


def _status_data() -> ev.BenefitStatusData:
    return ev.BenefitStatusData(
        person_key=PERSON_KEY, subsidy="nursing", effective_month="2025-11", reason=_reason(), finding_id=FINDING_ID
    )


def application_submitted() -> ev.Event:
    return ev.ApplicationSubmitted(
        source="intake-service",
        subject=str(APPLICATION_ID),
        data=ev.ApplicationSubmittedData(**dict(_snapshot())),
    )


def application_withdrawn() -> ev.Event:
    data = ev.ApplicationWithdrawnData(
        application_id=APPLICATION_ID, person_key=PERSON_KEY, reason="申请人撤回", withdrawn_at=LATER
    )
    return ev.ApplicationWithdrawn(source="intake-service", data=data)


def applicant_notified() -> ev.Event:
    data = ev.ApplicantNotifiedData(
        application_id=APPLICATION_ID, person_key=PERSON_KEY, channel="sms", notified_at=LATER, notified_by="clerk-1"
    )
    return ev.ApplicantNotified(source="intake-service", data=data)


def case_routed() -> ev.Event:
    data = ev.CaseRoutedData(
        application_id=APPLICATION_ID,
        person_key=PERSON_KEY,
        scope="cross_province",
        locality_county="230102",
        locality_township="230102001",
        accepting_region="510104001",
        hukou_region="230102001",
        received_at=SUBMITTED_AT,
        push_due=date(2025, 10, 11),
        decision_due=date(2025, 10, 27),
        application=_snapshot(),
    )
    return ev.CaseRouted(source="routing-service", data=data)


def case_deadline_breached() -> ev.Event:
    data = ev.CaseDeadlineBreachedData(
        application_id=APPLICATION_ID,
        person_key=PERSON_KEY,
        deadline="decision",
        due_date=date(2025, 10, 27),
        region="230102",
        detected_at=datetime(2025, 10, 28, 1, 0, tzinfo=UTC),
    )
    return ev.CaseDeadlineBreached(source="routing-service", data=data)


def case_result_returned() -> ev.Event:
    data = ev.CaseResultReturnedData(
        application_id=APPLICATION_ID,
        person_key=PERSON_KEY,
        accepting_region="510104001",
        outcomes=(
            ev.SubsidyOutcome(subsidy="living", outcome="approved", reasons=(_reason(),)),
            ev.SubsidyOutcome(subsidy="nursing", outcome="refused"),
        ),
        returned_at=LATER,
        notify_due=date(2025, 10, 16),
    )
    return ev.CaseResultReturned(source="routing-service", data=data)


def eligibility_decided() -> ev.Event:
    data = ev.EligibilityDecidedData(
        application_id=APPLICATION_ID,
        person_key=PERSON_KEY,
        beneficiary=_person(),
        hukou_region="230102001",
        accepting_region="510104001",
        certificate_number=ID_NUMBER + "41",
        bank_account=_bank_account(),
        submitted_at=SUBMITTED_AT,
        decided_at=LATER,
        decided_by="county-civil-affairs-230102",
        policy_version="HL-2025-01",
        decisions=(
            ev.SubsidyDecision(
                subsidy="living",
                outcome="approved",
                reasons=(_reason(),),
                tier="A",
                monthly_amount_fen=8000,
                start_month="2025-09",
            ),
            ev.SubsidyDecision(subsidy="nursing", outcome="refused", reasons=(_reason(),)),
        ),
    )
    return ev.EligibilityDecided(source="eligibility-service", data=data)


def benefit_changed() -> ev.Event:
    data = ev.BenefitChangedData(
        person_key=PERSON_KEY,
        subsidy="living",
        effective_month="2026-01",
        tier="B",
        monthly_amount_fen=9000,
        policy_version="HL-2026-01",
        reason=_reason(),
    )
    return ev.BenefitChanged(source="eligibility-service", data=data)


def policy_published() -> ev.Event:
    data = ev.PolicyPublishedData(
        province="23",
        version="23-2027-01",
        effective_from="2027-01-01",
        body={"province": "23", "version": "23-2027-01"},
        published_by="hl-admin",
        published_at=LATER,
    )
    return ev.PolicyPublished(source="eligibility-service", data=data)


def person_informed() -> ev.Event:
    data = ev.PersonInformedData(
        person_key=PERSON_KEY,
        subsidies=("living",),
        township="230102001",
        channel="visit",
        informed_by="township-worker",
        informed_at=LATER,
    )
    return ev.PersonInformed(source="review-service", data=data)


def payment_run_completed() -> ev.Event:
    data = ev.PaymentRunCompletedData(
        run_id=RUN_ID,
        region="230102",
        month="2025-10",
        paid_count=2,
        total_fen=17000,
        by_subsidy={"living": 8000, "nursing": 9000},
        completed_at=LATER,
    )
    return ev.PaymentRunCompleted(source="payment-service", data=data)


def payment_failed() -> ev.Event:
    data = ev.PaymentFailedData(
        run_id=RUN_ID, person_key=PERSON_KEY, subsidy="living", month="2025-10", amount_fen=8000, reason="账户已销户"
    )
    return ev.PaymentFailed(source="payment-service", data=data)


def benefit_suspended() -> ev.Event:
    return ev.BenefitSuspended(source="payment-service", data=_status_data())


def benefit_resumed() -> ev.Event:
    return ev.BenefitResumed(source="payment-service", data=_status_data())


def benefit_terminated() -> ev.Event:
    return ev.BenefitTerminated(source="payment-service", data=_status_data())


def overpayment_recorded() -> ev.Event:
    data = ev.OverpaymentRecordedData(
        overpayment_id=uuid.UUID("00000000-0000-4000-8000-000000000004"),
        person_key=PERSON_KEY,
        subsidy="living",
        months=(ev.MonthAmount(month="2025-08", amount_fen=8000), ev.MonthAmount(month="2025-09", amount_fen=8000)),
        total_fen=16000,
        reason=ev.Reason(rule_id="stop.death", text="死亡次月起停发"),
    )
    return ev.OverpaymentRecorded(source="payment-service", data=data)


def finding_raised() -> ev.Event:
    data = ev.FindingRaisedData(
        finding_id=FINDING_ID,
        person_key=PERSON_KEY,
        subsidies=("living",),
        source="dibao",
        rule_id="review.dibao_exit",
        evidence={"record_id": "DB-001", "ended": "2025-09-30", "members": [1, 2]},
        suggested_action="terminate",
        effective_month="2025-10",
        raised_at=LATER,
    )
    return ev.FindingRaised(source="review-service", data=data)


def finding_concluded() -> ev.Event:
    data = ev.FindingConcludedData(
        finding_id=FINDING_ID,
        person_key=PERSON_KEY,
        subsidies=("living",),
        action="terminate",
        effective_month="2025-10",
        concluded_by="township-reviewer-230102001",
        reason="已退出低保",
        concluded_at=LATER,
    )
    return ev.FindingConcluded(source="review-service", data=data)


def certificate_expiry_reminder() -> ev.Event:
    data = ev.CertificateExpiryReminderData(
        person_key=PERSON_KEY,
        certificate_number=ID_NUMBER + "41",
        expires_on=date(2026, 3, 1),
        township="230102001",
        reminded_at=LATER,
    )
    return ev.CertificateExpiryReminder(source="review-service", data=data)


def registry_record_changed() -> ev.Event:
    data = ev.RegistryRecordChangedData(
        source="dibao",
        record_id="DB-001",
        record_kind="dibao",
        change="ended",
        person_key=PERSON_KEY,
        id_number=ID_NUMBER,
        region="230102001",
        effective_date=date(2025, 9, 30),
        facts={"household_id": "H-9", "members": 3},
        observed_at=LATER,
    )
    return ev.RegistryRecordChanged(source="registry-import", subject="dibao/DB-001", data=data)


FACTORIES: dict[type[ev.Event], Callable[[], ev.Event]] = {
    ev.ApplicationSubmitted: application_submitted,
    ev.ApplicationWithdrawn: application_withdrawn,
    ev.ApplicantNotified: applicant_notified,
    ev.CaseRouted: case_routed,
    ev.CaseDeadlineBreached: case_deadline_breached,
    ev.CaseResultReturned: case_result_returned,
    ev.EligibilityDecided: eligibility_decided,
    ev.BenefitChanged: benefit_changed,
    ev.PolicyPublished: policy_published,
    ev.PaymentRunCompleted: payment_run_completed,
    ev.PaymentFailed: payment_failed,
    ev.BenefitSuspended: benefit_suspended,
    ev.BenefitResumed: benefit_resumed,
    ev.BenefitTerminated: benefit_terminated,
    ev.OverpaymentRecorded: overpayment_recorded,
    ev.FindingRaised: finding_raised,
    ev.FindingConcluded: finding_concluded,
    ev.CertificateExpiryReminder: certificate_expiry_reminder,
    ev.PersonInformed: person_informed,
    ev.RegistryRecordChanged: registry_record_changed,
}
EVENT_CLASSES = list(ev.EVENT_TYPES.values())
ENVELOPE_FIELDS = {"specversion", "id", "source", "type", "time", "datacontenttype", "data"}


def _name(cls: type[ev.Event]) -> str:
    return cls.__name__


def test_every_event_type_has_a_factory() -> None:
    assert set(FACTORIES) == set(EVENT_CLASSES)


def test_event_types_are_keyed_by_their_type_string() -> None:
    assert all(cls.model_fields["type"].default == key for key, cls in ev.EVENT_TYPES.items())


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_name)
def test_an_event_survives_encode_and_decode(cls: type[ev.Event]) -> None:
    event = FACTORIES[cls]()

    decoded = ev.decode_event(ev.encode_event(event))

    assert type(decoded) is cls
    assert decoded == event


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_name)
def test_the_encoded_event_is_a_cloudevents_envelope(cls: type[ev.Event]) -> None:
    event = FACTORIES[cls]()

    envelope = json.loads(ev.encode_event(event))

    assert envelope.keys() >= ENVELOPE_FIELDS
    assert envelope["specversion"] == "1.0"
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["type"] == cls.model_fields["type"].default
    assert uuid.UUID(envelope["id"]) == event.id
    assert datetime.fromisoformat(envelope["time"]) == event.time
    assert isinstance(envelope["data"], dict)


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_name)
def test_the_event_topic_is_a_registered_topic(cls: type[ev.Event]) -> None:
    assert cls.topic in {spec.name for spec in TOPICS}


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_name)
def test_events_are_frozen(cls: type[ev.Event]) -> None:
    event = FACTORIES[cls]()

    with pytest.raises(ValidationError, match="frozen"):
        setattr(event, "source", "somewhere-else")  # noqa: B010 - mypy would refuse the plain assignment


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=_name)
def test_person_key_comes_from_the_data(cls: type[ev.Event]) -> None:
    event = FACTORIES[cls]()

    assert event.person_key == getattr(event.data, "person_key", None)


def test_person_key_of_a_personal_event_is_the_data_person_key() -> None:
    assert application_withdrawn().person_key == PERSON_KEY


def test_a_payment_run_has_no_person_key() -> None:
    assert payment_run_completed().person_key is None


def test_two_events_get_distinct_ids() -> None:
    assert benefit_suspended().id != benefit_suspended().id


@pytest.mark.parametrize(
    "raw",
    [b"", b"\xff\xfe\x00garbage", b"not json", b"[]", b'{"specversion": "1.0"}', b'{"specversion": "0.3"}'],
    ids=["empty", "binary", "text", "json-array", "no-id-or-type", "old-specversion"],
)
def test_decode_refuses_bytes_that_are_not_an_envelope(raw: bytes) -> None:
    with pytest.raises(ValueError):
        ev.decode_event(raw)


def test_decode_refuses_an_unknown_type_with_unknown_event_type() -> None:
    raw = json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "a-newer-producer",
            "type": "subsidy.application.submitted.v2",
            "data": {},
        }
    ).encode()

    with pytest.raises(ev.UnknownEventType, match=r"submitted\.v2"):
        ev.decode_event(raw)


def test_decode_refuses_a_known_type_with_a_missing_data_field() -> None:
    envelope = json.loads(ev.encode_event(application_withdrawn()))
    del envelope["data"]["withdrawn_at"]

    with pytest.raises(ValidationError, match="withdrawn_at"):
        ev.decode_event(json.dumps(envelope).encode())


def test_decode_ignores_fields_it_does_not_know() -> None:
    event = application_withdrawn()
    envelope = json.loads(ev.encode_event(event))
    envelope["data"]["added_in_a_later_minor"] = "x"
    envelope["traceparent"] = "00-abc-def-01"

    assert ev.decode_event(json.dumps(envelope).encode()) == event


def test_registry_events_are_keyed_per_person_and_record_kind_for_compaction() -> None:
    from datetime import UTC, datetime

    from subsidy_shared.events import RegistryRecordChanged, RegistryRecordChangedData

    data = RegistryRecordChangedData(
        source="cdpf",
        record_id="c-1",
        record_kind="certificate",
        change="issued",
        person_key="pk1",
        id_number="11010519491231002X",
        observed_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    event = RegistryRecordChanged(source="liangbu/review", data=data)
    other_kind = RegistryRecordChanged(source="liangbu/review", data=data.model_copy(update={"record_kind": "dibao"}))

    assert event.key == "pk1:certificate" and other_kind.key == "pk1:dibao"
    assert event.person_key == "pk1"
