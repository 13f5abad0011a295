"""The people and permission shape that bench/document_list.py and bench/search.py both seed.

20 departments and 60 project teams (each an auth group), users with roles (10 admins, 5 compliance
officers, the rest staff, sales and service), each in the department group and 1-3 teams; documents
classified 4% public, 46% internal, 42% confidential, 8% secret. A script draws all of it from its own
seeded generator, in a fixed order, so its data set stays the same from run to run. The timings are
taken for the non-admin user whose visible share is nearest TARGET_SHARE, and for an admin.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from bench.common import copy_rows

DEPARTMENTS = 20
TEAMS = 60
ADMINS = 10
COMPLIANCE = 5
TARGET_SHARE = 0.10
CLASSIFICATION_WEIGHTS = (("public", 4), ("internal", 46), ("confidential", 42), ("secret", 8))
KINDS = ("contract", "bid", "quote", "product_material", "other")


def weighted(rng: random.Random, pairs, k: int) -> list:
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights, k=k)


@dataclass
class People:
    roles: list[str]  # user id - 1 -> role
    user_dept: dict[int, int]  # user id -> department (and its group) id


def seed_people(rng: random.Random, *, users: int, joined: dt.datetime) -> People:
    """Groups (departments, then teams), departments, users 1..users and their group memberships,
    written with COPY (in the caller's transaction). Draws from rng: the roles, their order, each
    user's teams."""
    from django.contrib.auth.models import Group

    from backend.accounts.models import Department, User

    group_rows = [(i, f"dept:d{i:02d}") for i in range(1, DEPARTMENTS + 1)]
    group_rows += [(DEPARTMENTS + t, f"team:t{t:02d}") for t in range(1, TEAMS + 1)]
    copy_rows(Group, ["id", "name"], group_rows)
    copy_rows(Department, ["id", "code", "name", "group_id"],
              [(i, f"d{i:02d}", f"Department {i:02d}", i) for i in range(1, DEPARTMENTS + 1)])
    roles = ["admin"] * ADMINS + ["compliance"] * COMPLIANCE
    roles += weighted(rng, (("staff", 50), ("sales", 30), ("service", 20)), users - len(roles))
    rng.shuffle(roles)
    user_dept = {u: (u - 1) % DEPARTMENTS + 1 for u in range(1, users + 1)}
    copy_rows(
        User,
        ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
         "is_active", "date_joined", "display_name", "role", "preferred_language", "department_id"],
        ((u, "!bench", False, f"user{u:04d}", "", "", f"user{u:04d}@example.com", roles[u - 1] == "admin",
          True, joined, f"User {u:04d}", roles[u - 1], "en", user_dept[u]) for u in range(1, users + 1)),
    )
    memberships = []
    for u in range(1, users + 1):
        groups = [user_dept[u]] + [DEPARTMENTS + t for t in rng.sample(range(1, TEAMS + 1), rng.randint(1, 3))]
        memberships += [(u, g) for g in groups]
    copy_rows(User.groups.through, ["user_id", "group_id"], memberships)
    return People(roles=roles, user_dept=user_dept)


def choose_users(docs: int) -> tuple[object, int, object, int]:
    """(the non-admin nearest TARGET_SHARE visibility among the first 40, its count, an admin, the admin's
    count), counted with the access policy itself."""
    from backend.access.policy import Action, visible
    from backend.accounts.models import Role, User
    from backend.documents.models import Document

    def count(user) -> int:
        return visible(user, Document.objects.all(), Action.VIEW).count()

    candidates = list(User.objects.exclude(role__in=[Role.ADMIN, Role.COMPLIANCE]).order_by("id")[:40])
    counts = [(abs(count(u) - TARGET_SHARE * docs), u) for u in candidates]
    _, chosen = min(counts, key=lambda pair: (pair[0], pair[1].pk))
    admin = User.objects.filter(role=Role.ADMIN).order_by("id").first()
    return chosen, count(chosen), admin, count(admin)
