"""Knowledge articles: drafted by staff (or from a resolved service record), published once reviewed.

Drafts are seen by their author and by service staff and admins; published articles by all staff
(and, with portal visibility, by the customer portal). The access policy decides who may change one.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.access.policy import Action, is_active_staff, portal_customer_id
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import ArticleStatus, ArticleVersion, ArticleVisibility, Customer, KnowledgeArticle, Product
from backend.crm.services.common import require_editable
from indexing.articles import article_changed

_EDITABLE = ("title", "body", "product", "visibility")


def _clean(fields: dict) -> dict:
    errors: dict[str, list[str]] = {}
    cleaned = dict(fields)
    if "title" in cleaned:
        cleaned["title"] = (cleaned["title"] or "").strip()
        if not cleaned["title"]:
            errors["title"] = ["A title is required."]
        elif len(cleaned["title"]) > 200:
            errors["title"] = ["At most 200 characters."]
    if "body" in cleaned:
        cleaned["body"] = (cleaned["body"] or "").strip()
        if not cleaned["body"]:
            errors["body"] = ["The article needs a body."]
    if "visibility" in cleaned and cleaned["visibility"] not in ArticleVisibility.values:
        errors["visibility"] = [f"Choose one of: {', '.join(ArticleVisibility.values)}."]
    if "product" in cleaned and cleaned["product"] is not None and not isinstance(cleaned["product"], Product):
        errors["product"] = ["No such product."]
    if errors:
        raise InvalidInput("The article is invalid.", fields=errors)
    return cleaned


def article_create(
    *,
    actor,
    title: str,
    body: str,
    product: Product | None = None,
    visibility: str = ArticleVisibility.INTERNAL,
) -> KnowledgeArticle:
    """A draft article authored by `actor` (any active staff member)."""
    if not is_active_staff(actor):  # never anonymous, inactive or a customer's contact
        raise NotFound()
    fields = _clean({"title": title, "body": body, "product": product, "visibility": visibility})
    now = timezone.now()
    with transaction.atomic():
        article = KnowledgeArticle.objects.create(**fields, author=actor, status=ArticleStatus.DRAFT, created_at=now,
                                                  updated_at=now)
        _version_add(article=article, actor=actor, at=now)
        audit.record("crm.article.created", actor=actor, target=article,
                     detail={"title": article.title, "visibility": article.visibility,
                             "product": product.code if product else None})
        article_changed(article_id=article.pk)
    return article


def article_update(*, actor, article: KnowledgeArticle, **changes) -> KnowledgeArticle:
    """Change title, body, product or visibility; a published article stays published."""
    require_editable(changes, _EDITABLE)
    require(actor=actor, action=Action.CHANGE, obj=article)
    fields = _clean(changes)
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        diff = {}
        for field, value in fields.items():
            current = getattr(locked, field)
            if current != value:
                diff[field] = value
        if diff:
            if {"title", "body"} & set(diff):
                _first_version_ensure(locked)
            for field, value in diff.items():
                setattr(locked, field, value)
            locked.updated_at = timezone.now()
            locked.save()
            if {"title", "body"} & set(diff):
                _version_add(article=locked, actor=actor, at=locked.updated_at)
            audit.record("crm.article.updated", actor=actor, target=locked, detail={"changed": sorted(diff),
                         **({"visibility": locked.visibility} if "visibility" in diff else {})})
            article_changed(article_id=locked.pk)
    return locked


def _version_add(*, article: KnowledgeArticle, actor, at) -> ArticleVersion:
    """Keep the article's current title and body as its next numbered version."""
    last = article.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return ArticleVersion.objects.create(article=article, number=last + 1, title=article.title, body=article.body,
                                         author=actor, created_at=at)


def _first_version_ensure(article: KnowledgeArticle) -> None:
    """An article drafted before versions existed (or from a service record) keeps its first text as version 1."""
    if not article.versions.exists():
        ArticleVersion.objects.create(article=article, number=1, title=article.title, body=article.body,
                                      author=article.author, created_at=article.updated_at)


PUBLISHABLE = (ArticleStatus.DRAFT, ArticleStatus.REVIEW, ArticleStatus.WITHDRAWN)


def _state_error(locked: KnowledgeArticle, message: str) -> InvalidInput:
    return InvalidInput(message, fields={"status": [message]}, current=locked.status)


def article_review_request(*, actor, article: KnowledgeArticle) -> KnowledgeArticle:
    """draft (or withdrawn) → in review: the author asks the service desk to read it before it is published."""
    require(actor=actor, action=Action.CHANGE, obj=article)
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        if locked.status not in (ArticleStatus.DRAFT, ArticleStatus.WITHDRAWN):
            raise _state_error(locked, "Only a draft can be sent for review.")
        locked.status = ArticleStatus.REVIEW
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
        audit.record("crm.article.review_requested", actor=actor, target=locked, detail={"title": locked.title})
    return locked


def article_withdraw(*, actor, article: KnowledgeArticle) -> KnowledgeArticle:
    """published → withdrawn: out of the portal and of search at once; it may be published again later."""
    require(actor=actor, action=Action.CHANGE, obj=article)
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        if locked.status != ArticleStatus.PUBLISHED:
            raise _state_error(locked, "Only a published article can be withdrawn.")
        locked.status = ArticleStatus.WITHDRAWN
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
        audit.record("crm.article.withdrawn", actor=actor, target=locked,
                     detail={"title": locked.title, "visibility": locked.visibility})
        article_changed(article_id=locked.pk)
    return locked


AUDIENCE_INTERNAL, AUDIENCE_ALL, AUDIENCE_CHOSEN = "internal", "all", "chosen"
AUDIENCES = (AUDIENCE_INTERNAL, AUDIENCE_ALL, AUDIENCE_CHOSEN)


def article_audience_choose(*, actor, article: KnowledgeArticle, audience: str,
                            customers: list[Customer] | tuple = ()) -> KnowledgeArticle:
    """Who reads the article: staff only (internal), every customer in the portal, or only the customers chosen
    (at least one). One transaction, one audit row naming the audience."""
    require(actor=actor, action=Action.CHANGE, obj=article)
    customers = list(customers)
    if audience not in AUDIENCES:
        message = f"Choose one of: {', '.join(AUDIENCES)}."
        raise InvalidInput(message, fields={"audience": [message]})
    if audience == AUDIENCE_CHOSEN and not customers:
        message = "Choose at least one customer."
        raise InvalidInput(message, fields={"customers": [message]})
    visibility = ArticleVisibility.INTERNAL if audience == AUDIENCE_INTERNAL else ArticleVisibility.PORTAL
    chosen = customers if audience == AUDIENCE_CHOSEN else []
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        locked.visibility = visibility
        locked.updated_at = timezone.now()
        locked.save(update_fields=["visibility", "updated_at"])
        locked.audience_customers.set(chosen)
        audit.record("crm.article.updated", actor=actor, target=locked,
                     detail={"changed": ["audience"], "visibility": visibility,
                             "audience": sorted(c.pk for c in chosen)})
        article_changed(article_id=locked.pk)
    return locked


def article_publish(*, actor, article: KnowledgeArticle) -> KnowledgeArticle:
    """draft, in review or withdrawn → published. Publishing twice is a 400 naming the current state."""
    require(actor=actor, action=Action.CHANGE, obj=article)
    with transaction.atomic():
        locked = KnowledgeArticle.objects.select_for_update().get(pk=article.pk)
        if locked.status not in PUBLISHABLE:
            message = f"The article is {locked.status}; only a draft can be published."
            raise InvalidInput(message, fields={"status": [message]}, current=locked.status)
        now = timezone.now()
        locked.status = ArticleStatus.PUBLISHED
        locked.published_at = now
        locked.updated_at = now
        locked.save(update_fields=["status", "published_at", "updated_at"])
        audit.record("crm.article.published", actor=actor, target=locked,
                     detail={"title": locked.title, "visibility": locked.visibility})
        article_changed(article_id=locked.pk)
    return locked


def article_audience_set(*, actor, article: KnowledgeArticle, customers) -> KnowledgeArticle:
    """Address a portal article to these customers only (an empty list: to every customer)."""
    require(actor=actor, action=Action.CHANGE, obj=article)
    customers = list(customers)
    with transaction.atomic():
        article.audience_customers.set(customers)
        KnowledgeArticle.objects.filter(pk=article.pk).update(updated_at=timezone.now())
        audit.record("crm.article.updated", actor=actor, target=article,
                     detail={"changed": ["audience"], "audience": sorted(c.pk for c in customers)})
        article_changed(article_id=article.pk)
    return article


def article_read(*, actor, article: KnowledgeArticle) -> None:
    """A portal user opened an article: recorded, so compliance can say what a customer read."""
    audit.record("portal.article.read", actor=actor, target=article, customer_id=portal_customer_id(actor),
                 detail={"title": article.title})


def knowledge_searched(*, actor, q: str, total: int, page: int) -> None:
    """A portal user searched the knowledge base: what they looked for is part of what they read."""
    audit.record("portal.knowledge.searched", actor=actor, customer_id=portal_customer_id(actor),
                 target_type="crm.knowledgearticle", target_label=q[:200],
                 detail={"q": q, "total": total, "page": page})
