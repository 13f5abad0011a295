"""Competitors are records shared by every deal that names them, not free text; the old text survives the
migration as records; probability is edited within 0-100 and a closed deal keeps its outcome's."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import Competitor, Opportunity
from backend.crm.selectors.opportunities import competitor_list_visible
from backend.crm.services.opportunities import (
    competitor_names,
    opportunity_create,
    opportunity_stage_change,
    opportunity_update,
)
from tests.fixtures.clients import api_client


def _names(opportunity) -> list[str]:
    return sorted(Opportunity.objects.get(pk=opportunity.pk).competitors.values_list("name", flat=True))


def test_names_are_split_tidied_and_unique_whatever_the_separator():
    assert competitor_names("DMG Mori, Haas、海天精工；  dmg  mori /Okuma") == ["DMG Mori", "Haas", "海天精工", "Okuma"]
    assert competitor_names(["  Haas ", "", "HAAS"]) == ["Haas"]
    assert competitor_names(None) == [] and competitor_names("") == []


def test_a_deal_names_competitors_once_each_and_new_ones_are_audited(people):
    owner, customer = people["owner"], people["customer"]
    # when two deals name the same competitors, spelled differently
    first = opportunity_create(actor=owner, customer=customer, title="Line A", competitors="DMG Mori, Haas")
    second = opportunity_create(actor=owner, customer=customer, title="Line B", competitors=["dmg mori", "海天精工"])

    # then there is one record a competitor, shared by both deals
    assert sorted(Competitor.objects.values_list("name", flat=True)) == ["DMG Mori", "Haas", "海天精工"]
    assert _names(first) == ["DMG Mori", "Haas"]
    assert _names(second) == ["DMG Mori", "海天精工"]
    assert Competitor.objects.get(name="DMG Mori").opportunities.count() == 2
    # and each competitor's first naming is audited, then the deal
    created = AuditEvent.objects.filter(event_type="crm.competitor.created")
    assert sorted(e.detail["name"] for e in created) == ["DMG Mori", "Haas", "海天精工"]
    opened = AuditEvent.objects.get(event_type="crm.opportunity.created", target_id=str(second.pk))
    assert opened.detail["competitors"] == ["dmg mori", "海天精工"]


def test_changing_competitors_and_probability_is_one_audited_change(people):
    owner, customer = people["owner"], people["customer"]
    deal = opportunity_create(actor=owner, customer=customer, title="Line A", competitors=["Haas"])
    # when the rep replaces the competitors and sets the probability
    opportunity_update(actor=owner, opportunity=deal, competitors=["Okuma", "haas"], probability=35)
    # then the deal has both, the probability is 35, and one event lists both changes
    assert _names(deal) == ["Haas", "Okuma"]
    assert Opportunity.objects.get(pk=deal.pk).probability == 35
    event = AuditEvent.objects.filter(event_type="crm.opportunity.updated").get()
    assert event.detail["changes"]["competitors"] == ["Haas", "Haas, Okuma"]
    assert event.detail["changes"]["probability"] == ["10", "35"]
    # when the same list comes again (another spelling), nothing changes and nothing is recorded
    opportunity_update(actor=owner, opportunity=deal, competitors="OKUMA, Haas", probability=35)
    assert AuditEvent.objects.filter(event_type="crm.opportunity.updated").count() == 1
    # when the list is emptied, the deal has none (the records stay for other deals)
    opportunity_update(actor=owner, opportunity=deal, competitors=[])
    assert _names(deal) == [] and Competitor.objects.filter(name="Okuma").exists()


@pytest.mark.parametrize("probability", [-1, 101, "lots"])
def test_probability_outside_0_to_100_is_refused_by_its_field(people, probability):
    deal = opportunity_create(actor=people["owner"], customer=people["customer"], title="Line A")
    with pytest.raises(InvalidInput) as refused:
        opportunity_update(actor=people["owner"], opportunity=deal, probability=probability)
    assert "probability" in refused.value.extra["fields"]
    assert Opportunity.objects.get(pk=deal.pk).probability == 10


def test_a_closed_deal_keeps_its_outcomes_probability(people):
    owner = people["owner"]
    deal = opportunity_create(actor=owner, customer=people["customer"], title="Line A")
    deal = opportunity_stage_change(actor=owner, opportunity=deal, stage="won")
    with pytest.raises(InvalidInput) as refused:
        opportunity_update(actor=owner, opportunity=deal, probability=50)
    assert "probability" in refused.value.extra["fields"]
    assert Opportunity.objects.get(pk=deal.pk).probability == 100


def test_bad_names_save_nothing(people):
    owner, customer = people["owner"], people["customer"]
    with pytest.raises(InvalidInput) as refused:
        opportunity_create(actor=owner, customer=customer, title="Line A", competitors=["x" * 101])
    assert "competitors" in refused.value.extra["fields"]
    with pytest.raises(InvalidInput):
        opportunity_create(actor=owner, customer=customer, title="Line A",
                           competitors=[f"Rival {n}" for n in range(21)])
    assert not Opportunity.objects.exists() and not Competitor.objects.exists()


def test_who_may_name_competitors_is_who_may_change_the_deal(people):
    deal = opportunity_create(actor=people["owner"], customer=people["customer"], title="Line A")
    for stranger in (people["outsider"], people["colleague"], people["compliance"]):
        with pytest.raises(NotFound):
            opportunity_update(actor=stranger, opportunity=deal, competitors=["Haas"])
    assert not Competitor.objects.exists()
    opportunity_update(actor=people["team"], opportunity=deal, competitors=["Haas"])
    assert _names(deal) == ["Haas"]


def test_every_member_of_staff_reads_competitors_by_part_of_a_name(people):
    opportunity_create(actor=people["owner"], customer=people["customer"], title="A", competitors="DMG Mori, Haas")
    assert [c.name for c in competitor_list_visible(user=people["outsider"], search="mor")] == ["DMG Mori"]
    assert len(competitor_list_visible(user=people["compliance"])) == 2


def test_the_api_takes_names_and_lists_records(people):
    client = api_client(people["owner"])
    # when a deal is opened with a list, and another with the old comma text
    listed = client.post("/api/crm/opportunities/", {"customer": people["customer"].pk, "title": "A",
                                                     "competitors": ["Haas", "海天精工"], "probability": 20},
                         format="json")
    texted = client.post("/api/crm/opportunities/", {"customer": people["customer"].pk, "title": "B",
                                                     "competitors": "Haas, Okuma"}, format="json")
    # then both answer the competitors as records, the same record for the same name
    assert listed.status_code == 201 and texted.status_code == 201
    assert [c["name"] for c in listed.json()["competitors"]] == ["Haas", "海天精工"]
    assert listed.json()["probability"] == 20
    haas = Competitor.objects.get(name="Haas").pk
    assert {"id": haas, "name": "Haas"} in texted.json()["competitors"]
    # and a patch replaces them
    patched = client.patch(f"/api/crm/opportunities/{texted.json()['id']}/", {"competitors": ["Okuma"]},
                           format="json")
    assert [c["name"] for c in patched.json()["competitors"]] == ["Okuma"]
    # and junk is a 400 naming the field
    junk = client.patch(f"/api/crm/opportunities/{texted.json()['id']}/", {"competitors": [1, 2]}, format="json")
    assert junk.status_code == 400 and "competitors" in junk.json()["fields"]


# --- the migration -------------------------------------------------------------------------------

BEFORE = [("crm", "0004_product_catalogue")]
AFTER = [("crm", "0005_opportunity_competitors")]


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)  # migrations run outside the test's transaction
def test_the_migration_keeps_free_text_competitors_as_records():
    from tests import factories
    from tests.crm.factories import CustomerFactory

    owner = factories.UserFactory(username="owner")
    customer = CustomerFactory(owner=owner)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        # given a database from before competitors were records, with free text on three deals
        old = _migrate(BEFORE).loader.project_state(BEFORE, at_end=True).apps
        OldOpportunity = old.get_model("crm", "Opportunity")
        texts = {"A": "DMG Mori, Haas, 海天精工", "B": "haas；Okuma、 DMG  Mori", "C": ""}
        ids = {title: OldOpportunity.objects.create(customer_id=customer.pk, owner_id=owner.pk, title=title,
                                                    amount=Decimal("1"), competitors=text).pk
               for title, text in texts.items()}
        # when it migrates forward
        new = _migrate(AFTER).loader.project_state(AFTER, at_end=True).apps
        # then each name is one record and every deal keeps its names (read with that migration's models:
        # today's deal has columns added later)
        NewOpportunity = new.get_model("crm", "Opportunity")

        def names(pk: int) -> list[str]:
            return sorted(NewOpportunity.objects.get(pk=pk).competitors.values_list("name", flat=True))

        assert sorted(new.get_model("crm", "Competitor").objects.values_list("name", flat=True)) == [
            "DMG Mori", "Haas", "Okuma", "海天精工"]
        assert names(ids["A"]) == ["DMG Mori", "Haas", "海天精工"]
        assert names(ids["B"]) == ["DMG Mori", "Haas", "Okuma"]
        assert names(ids["C"]) == []
        # and going back writes the names as text again
        back = _migrate(BEFORE).loader.project_state(BEFORE, at_end=True).apps
        assert back.get_model("crm", "Opportunity").objects.get(pk=ids["B"]).competitors == "DMG Mori, Haas, Okuma"
    finally:
        _migrate(latest)
