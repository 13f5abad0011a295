"""The follow-up visit (回访): N days after a service record is resolved, a reminder for the customer's owner,
when SERVICE_FOLLOW_UP_DAYS says so; scheduled in the resolve's transaction and audited."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, PermissionDenied
from backend.crm.models import Activity, ActivityKind, DispatchState, ServiceType
from backend.crm.services import activities as activity_services
from backend.crm.services import service as services
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import api_client

pytestmark = pytest.mark.django_db


def _confirmed(people, **kwargs):
    """A record of the people's customer, dispatched to the engineer and confirmed by them."""
    record = services.service_record_create(actor=people["owner"], customer=people["customer"],
                                            title="主轴异响 Spindle noise", **kwargs)
    record = services.service_record_dispatch(actor=people["owner"], record=record, engineer=people["engineer"])
    return services.service_record_confirm(actor=people["engineer"], record=record)


def _follow_ups(customer):
    return Activity.objects.filter(customer=customer, kind=ActivityKind.REMINDER)


def test_resolving_schedules_a_follow_up_for_the_customers_owner(people, settings):
    # given follow-up visits seven days after resolution, and a confirmed record
    settings.SERVICE_FOLLOW_UP_DAYS = 7
    record = _confirmed(people)

    # when the engineer resolves it
    resolved = services.service_record_resolve(actor=people["engineer"], record=record,
                                               resolution="Replaced the spindle bearing.")

    # then one open reminder, due seven days after the resolution, waits for the customer's owner
    (follow_up,) = _follow_ups(people["customer"])
    assert follow_up.owner == people["owner"]
    assert follow_up.due_at == resolved.resolved_at + dt.timedelta(days=7)
    assert follow_up.done is False
    assert "主轴异响 Spindle noise" in follow_up.subject
    assert f"#{record.pk}" in follow_up.body and "Tom Becker" in follow_up.body
    assert "Replaced the spindle bearing." in follow_up.body
    # and it is audited on the record, after the resolution itself (the last write of the transaction)
    scheduled = AuditEvent.objects.get(event_type="crm.service.follow_up_scheduled", target_id=str(record.pk))
    assert scheduled.actor == people["engineer"] and scheduled.customer_id == people["customer"].pk
    assert scheduled.detail["activity"] == follow_up.pk and scheduled.detail["owner"] == "wang.fang"
    assert scheduled.detail["days"] == 7
    resolved_event = AuditEvent.objects.filter(event_type="crm.service.dispatch_changed", target_id=str(record.pk),
                                               detail__to="resolved").get()
    assert resolved_event.pk < scheduled.pk


def test_the_owner_sees_and_completes_the_follow_up(people, settings):
    # given a follow-up scheduled by the engineer's resolution
    settings.SERVICE_FOLLOW_UP_DAYS = 3
    record = _confirmed(people)
    services.service_record_resolve(actor=people["engineer"], record=record, resolution="Re-calibrated.")
    follow_up = _follow_ups(people["customer"]).get()

    # when the owner marks it done after visiting
    done = activity_services.activity_complete(actor=people["owner"], activity=follow_up)

    # then it is done, as any reminder of theirs
    assert done.done is True


def test_no_follow_up_when_the_setting_is_zero(people, settings):
    # given follow-ups switched off (the default)
    settings.SERVICE_FOLLOW_UP_DAYS = 0
    record = _confirmed(people)

    # when the record is resolved
    resolved = services.service_record_resolve(actor=people["engineer"], record=record, resolution="Fixed.")

    # then it is resolved and nothing is scheduled
    assert resolved.dispatch_state == DispatchState.RESOLVED
    assert not _follow_ups(people["customer"]).exists()
    assert not AuditEvent.objects.filter(event_type="crm.service.follow_up_scheduled").exists()


def test_a_follow_up_visit_does_not_schedule_another(people, settings):
    # given follow-ups on, and a record that is itself a follow-up visit
    settings.SERVICE_FOLLOW_UP_DAYS = 7
    record = _confirmed(people, type=ServiceType.FOLLOW_UP)

    # when it is resolved
    services.service_record_resolve(actor=people["engineer"], record=record, resolution="Customer satisfied.")

    # then no follow-up of the follow-up is scheduled
    assert not _follow_ups(people["customer"]).exists()


def test_a_refused_or_invalid_resolution_schedules_nothing(people, settings):
    # given follow-ups on, a record still waiting for dispatch, and a confirmed one
    settings.SERVICE_FOLLOW_UP_DAYS = 7
    waiting = services.service_record_create(actor=people["owner"], customer=people["customer"], title="Noise")
    confirmed = _confirmed(people)

    # when one is resolved out of order, and someone who may not change records tries the other
    with pytest.raises(InvalidInput):
        services.service_record_resolve(actor=people["engineer"], record=waiting, resolution="Fixed.")
    with pytest.raises(PermissionDenied):
        services.service_record_resolve(actor=people["outsider"], record=confirmed, resolution="Fixed.")

    # then nothing is scheduled, and the refusal is still on the trail
    assert not _follow_ups(people["customer"]).exists()
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor=people["outsider"],
                                     target_id=str(confirmed.pk)).exists()


def test_the_follow_up_goes_to_the_owner_of_each_records_customer(people, settings):
    # given a second customer owned by another rep, and a confirmed record of theirs
    settings.SERVICE_FOLLOW_UP_DAYS = 14
    other = CustomerFactory(owner=people["outsider"])
    record = services.service_record_create(actor=people["engineer"], customer=other, title="Oil leak")
    record = services.service_record_dispatch(actor=people["engineer"], record=record, engineer=people["engineer"])
    record = services.service_record_confirm(actor=people["engineer"], record=record)

    # when it is resolved through the API
    response = api_client(people["engineer"]).post(f"/api/crm/service-records/{record.pk}/resolve/",
                                                   {"resolution": "New seal."}, format="json")

    # then the reminder is that customer's owner's, and not the first customer's
    assert response.status_code == 200, response.content
    assert _follow_ups(other).get().owner == people["outsider"]
    assert not _follow_ups(people["customer"]).exists()
