"""The access policy for portal users: none of the staff rules, only their own customer's rows, read-only."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from backend.access.policy import (
    PORTAL_ALL_TOKEN,
    Action,
    can,
    can_manage_portal_access,
    can_publish_announcements,
    can_share_document,
    is_portal_user,
    portal_can_follow_up,
    portal_customer_id,
    portal_customer_token,
    user_principals,
    view_principals_for_article,
    visible,
)
from backend.accounts.models import Role
from backend.crm.models import (
    Activity,
    Announcement,
    ArticleStatus,
    ArticleVisibility,
    Contact,
    Customer,
    DocumentLink,
    Invoice,
    KnowledgeArticle,
    LinkTarget,
    Opportunity,
    Order,
    Product,
    Quote,
    ServiceAttachment,
    ServiceNote,
    ServiceRecord,
)
from backend.documents.models import Document, DocumentVersion
from backend.sharing.models import DocumentShare, PortalAccount
from tests import factories
from tests.crm.factories import (
    ActivityFactory,
    ArticleFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    ProductFactory,
    QuoteFactory,
    ServiceRecordFactory,
)
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

MODELS = (Document, DocumentVersion, DocumentShare, DocumentLink, Customer, Contact, Opportunity, Quote, Order,
          Invoice, Activity, ServiceRecord, ServiceNote, ServiceAttachment, KnowledgeArticle, Announcement, Product)


def _attachment(record, user, name):
    return ServiceAttachment.objects.create(record=record, object_key=f"content/{name}", sha256="0" * 64, size=1,
                                            mime_type="image/png", original_filename=name, filename=name,
                                            uploaded_by=user)


def _side(customer, staff, tag):
    """Everything that hangs off one customer, in every model a portal user might reach."""
    doc = factories.document(staff, title=f"{tag} contract", classification="internal")
    DocumentLink.objects.create(document=doc, customer=customer, target_type=LinkTarget.CUSTOMER, created_by=staff)
    brochure = factories.document(staff, title=f"{tag} brochure", classification="public")
    share = DocumentShare.objects.create(document=brochure, customer=customer, created_by=staff)
    revoked = DocumentShare.objects.create(document=doc, customer=customer, created_by=staff,
                                           revoked_at=timezone.now(), revoked_by=staff)
    order = OrderFactory(customer=customer, total="1000.00")
    record = ServiceRecordFactory(customer=customer)
    return {
        "doc": doc, "brochure": brochure, "share": share, "revoked": revoked,
        "contact": Contact.objects.create(customer=customer, name=f"{tag} buyer", email=f"{tag}@example.com"),
        "opportunity": OpportunityFactory(customer=customer),
        "quote": QuoteFactory(customer=customer),
        "activity": ActivityFactory(customer=customer),
        "order": order,
        "invoice": InvoiceFactory(order=order),
        "record": record,
        "internal_note": ServiceNote.objects.create(record=record, author=staff, body="internal: price is soft"),
        "progress_note": ServiceNote.objects.create(record=record, author=staff, body="engineer booked",
                                                    visible_to_customer=True),
        "attachment": _attachment(record, staff, f"{tag}.png"),
    }


@pytest.fixture
def world():
    owner = factories.UserFactory(username="owner")
    a = CustomerFactory(name="Alpha 阿尔法", owner=owner)
    b = CustomerFactory(name="Beta 贝塔", owner=owner)
    alice = portal_user(a, name="Alice")
    sides = {"a": _side(a, owner, "alpha"), "b": _side(b, owner, "beta")}
    sides["a"]["customer_note"] = ServiceNote.objects.create(record=sides["a"]["record"], author=alice,
                                                             body="still noisy", from_customer=True,
                                                             visible_to_customer=True)
    now = timezone.now()
    articles = {
        "everyone": ArticleFactory(author=owner, status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.PORTAL,
                                   published_at=now),
        "for_a": ArticleFactory(author=owner, status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.PORTAL,
                                published_at=now),
        "for_b": ArticleFactory(author=owner, status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.PORTAL,
                                published_at=now),
        "internal": ArticleFactory(author=owner, status=ArticleStatus.PUBLISHED, published_at=now),
        "portal_draft": ArticleFactory(author=owner, visibility=ArticleVisibility.PORTAL),
    }
    articles["for_a"].audience_customers.set([a])
    articles["for_b"].audience_customers.set([b])
    announcements = {
        "all": Announcement.objects.create(title="Holiday", body="Closed", published_at=now, created_by=owner),
        "for_a": Announcement.objects.create(title="A only", body="x", all_customers=False, published_at=now,
                                             created_by=owner),
        "for_b": Announcement.objects.create(title="B only", body="x", all_customers=False, published_at=now,
                                             created_by=owner),
        "draft": Announcement.objects.create(title="Draft", body="x", created_by=owner),
        "scheduled": Announcement.objects.create(title="Later", body="x", created_by=owner,
                                                 published_at=now + dt.timedelta(days=1)),
    }
    announcements["for_a"].customers.set([a])
    announcements["for_b"].customers.set([b])
    ProductFactory()
    return {"owner": owner, "a": a, "b": b, "alice": alice, "sides": sides, "articles": articles,
            "announcements": announcements}


def _visible_pks(user, model, action=Action.VIEW) -> set[int]:
    return set(visible(user, model.objects.all(), action).values_list("pk", flat=True))


def test_a_portal_user_sees_only_what_belongs_to_their_customer(world):
    # given Alice, a portal user of customer A, and rows of customers A and B in every model
    alice, a, mine = world["alice"], world["a"], world["sides"]["a"]
    arts, news = world["articles"], world["announcements"]
    # when she lists each model / then only A's shares, orders, invoices, records, her notes and articles show
    assert _visible_pks(alice, DocumentShare) == {mine["share"].pk}  # not B's, not the revoked one
    assert _visible_pks(alice, Order) == {mine["order"].pk}
    assert _visible_pks(alice, Invoice) == {mine["invoice"].pk}
    assert _visible_pks(alice, ServiceRecord) == {mine["record"].pk}
    assert _visible_pks(alice, ServiceNote) == {mine["progress_note"].pk, mine["customer_note"].pk}
    assert _visible_pks(alice, KnowledgeArticle) == {arts["everyone"].pk, arts["for_a"].pk}
    assert _visible_pks(alice, Announcement) == {news["all"].pk, news["for_a"].pk}
    assert _visible_pks(alice, Customer) == {a.pk}


@pytest.mark.parametrize("model", [Document, DocumentVersion, DocumentLink, Contact, Opportunity, Quote, Activity,
                                   Product])
def test_no_staff_rule_reaches_a_portal_user_even_for_their_own_customer(world, model):
    # given Alice and documents, contacts, deals, quotes and activities of her own customer A
    alice = world["alice"]
    # when she asks for them (every action) / then there is nothing, and can() says no to each row
    for action in Action:
        assert _visible_pks(alice, model, action) == set(), (model.__name__, action)
    for row in model.objects.all():
        assert not can(alice, Action.VIEW, row), (model.__name__, row.pk)


def test_a_portal_user_may_change_nothing(world):
    alice = world["alice"]
    for model, action in itertools.product(MODELS, (Action.DOWNLOAD, Action.CHANGE, Action.MANAGE)):
        assert _visible_pks(alice, model, action) == set(), (model.__name__, action)


def test_can_agrees_with_visible_for_portal_users_in_every_model_and_action(world):
    # given portal users of A and B, a disabled and an unactivated one
    a, b = world["a"], world["b"]
    people = [world["alice"], portal_user(b, name="Bob"), portal_user(a, name="Invited", active=False)]
    disabled = portal_user(a, name="Disabled")
    PortalAccount.objects.filter(user=disabled).update(disabled_at=timezone.now())
    people.append(disabled)
    for person, model, action in itertools.product(people, MODELS, Action):
        listed = _visible_pks(person, model, action)
        # then can() on each row answers exactly what visible() lists
        assert listed == {row.pk for row in model.objects.all() if can(person, action, row)}, (
            person.username, model.__name__, action)


def test_disabled_and_unactivated_accounts_see_nothing(world):
    # given an invited-but-not-activated contact, and an account staff disabled (user still marked active)
    a = world["a"]
    invited = portal_user(a, name="Invited", active=False)
    disabled = portal_user(a, name="Disabled")
    PortalAccount.objects.filter(user=disabled).update(disabled_at=timezone.now())
    for person in (invited, disabled):
        # then no model shows a single row, the helpers refuse, and the search principals are empty
        for model in MODELS:
            assert _visible_pks(person, model) == set(), (person.username, model.__name__)
        assert portal_customer_id(person) is None
        assert user_principals(person) == []
        assert not portal_can_follow_up(person, world["sides"]["a"]["record"])


def test_portal_customer_id_is_one_query_remembered_on_the_user(world, django_assert_num_queries):
    alice = world["alice"]
    alice.__dict__.pop("_portal_customer_id", None)
    with django_assert_num_queries(1):
        assert portal_customer_id(alice) == world["a"].pk
        assert portal_customer_id(alice) == world["a"].pk
    assert portal_customer_id(world["owner"]) is None


def test_follow_up_only_on_own_customers_records(world):
    alice = world["alice"]
    assert is_portal_user(alice) and not is_portal_user(world["owner"])
    assert portal_can_follow_up(alice, world["sides"]["a"]["record"])
    assert not portal_can_follow_up(alice, world["sides"]["b"]["record"])
    assert not portal_can_follow_up(world["owner"], world["sides"]["a"]["record"])


def test_portal_users_hold_none_of_the_staff_powers(world):
    # given Alice; a staff admin for comparison
    alice, a, mine = world["alice"], world["a"], world["sides"]["a"]
    admin = factories.UserFactory(role=Role.ADMIN)
    # then she may not share, invite, or publish, not even for her own customer
    assert not can_share_document(alice, mine["brochure"], a)
    assert not can_manage_portal_access(alice, a)
    assert not can_publish_announcements(alice)
    assert can_share_document(admin, mine["brochure"], a)
    assert can_manage_portal_access(admin, a)
    assert can_publish_announcements(admin)


def test_a_portal_role_given_admin_like_flags_still_gets_no_staff_rule(world):
    # given a portal user someone marked is_staff/is_superuser by mistake
    alice = world["alice"]
    alice.is_staff = alice.is_superuser = True
    alice.save()
    # then the policy still only follows the role
    assert _visible_pks(alice, Document) == set()
    assert _visible_pks(alice, Customer) == {world["a"].pk}


def test_user_principals_of_a_portal_user_are_their_customer_and_all_portal(world):
    alice, a = world["alice"], world["a"]
    assert user_principals(alice) == sorted([PORTAL_ALL_TOKEN, portal_customer_token(a.pk)])
    staff_tokens = user_principals(world["owner"])
    assert "staff" in staff_tokens and PORTAL_ALL_TOKEN not in staff_tokens


@pytest.mark.parametrize("name", ["everyone", "for_a", "for_b", "internal"])
def test_article_principals_agree_with_visible_for_portal_users(world, name):
    # given a published article and portal users of A and B
    article = world["articles"][name]
    audience = list(article.audience_customers.values_list("pk", flat=True))
    tokens = set(view_principals_for_article(article, audience))
    for person in (world["alice"], portal_user(world["b"], name="Bob")):
        # then a token match (what the search engine does) is exactly what the database allows
        allowed = article.pk in _visible_pks(person, KnowledgeArticle)
        assert bool(tokens & set(user_principals(person))) is allowed, (name, person.username)
    # and every staff user finds every published article
    assert "staff" in tokens


def test_scheduled_and_withdrawn_announcements_are_not_shown(world):
    alice, news = world["alice"], world["announcements"]
    Announcement.objects.filter(pk=news["all"].pk).update(published_at=None)
    assert _visible_pks(alice, Announcement) == {news["for_a"].pk}


def test_portal_users_cannot_use_the_staff_create_services(world):
    # given Alice, an active portal user (the services that only asked "is the actor active?")
    from backend.common.errors import NotFound
    from backend.crm.services.customers import customer_create
    from backend.documents.services import document_create

    alice = world["alice"]
    # then she can neither create a customer nor a document
    with pytest.raises(NotFound):
        customer_create(actor=alice, name="Shell company", region="Nowhere")
    with pytest.raises(NotFound):
        document_create(actor=alice, title="Planted", kind="contract", classification="public",
                        upload=factories.upload_source())
    assert not Customer.objects.filter(name="Shell company").exists()
    assert not Document.objects.filter(title="Planted").exists()
