"""The furthest funnel step each deal got to (Opportunity.reached_stage: the index in FUNNEL_STAGES, 0 lead …
4 won), from its stage history and its current stage; a lost deal keeps the step it was lost at, a reopened
one the furthest it had got to before. The reports' funnel and lost analysis group by it instead of working it
out per deal from the history (a subquery per deal: 25-30 ms a quarter's deals).

Kept here, in the transaction of each write that can change it:

    opportunity_create            the step of the stage it starts in
    opportunity_stage_change      the furthest of the kept step and the new stage's (a move to lost: unchanged)
    imports (commit.py, in bulk)  the step of the stage it is imported in (an open stage)

Nothing else writes a deal's stage or its history (the admin shows them read-only; the history is never
edited and leaves only with its deal). `opportunity_reached_rebuild` recomputes every deal's step from the
rows (the migration's backfill, bulk loads through rollups_rebuild, and the tests that prove kept equals
computed).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Case, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest

from backend.crm.models import FUNNEL_STAGES, Opportunity, OpportunityStageChange, Stage
from backend.crm.services.derived import derived_models

_STEP = {stage: index for index, stage in enumerate(FUNNEL_STAGES)}


def funnel_step(stage: str) -> int:
    """The index of `stage` in the funnel (lost, no step: 0)."""
    return _STEP.get(stage, 0)


def reached_after(reached: int, stage: str) -> int:
    """A deal's furthest step once it moves to `stage`, from `reached` before (a move to lost keeps it)."""
    return reached if stage == Stage.LOST else max(reached, funnel_step(stage))


def _step_of(field_name: str) -> Case:
    return Case(*[When(**{field_name: stage}, then=Value(index)) for stage, index in _STEP.items()],
                default=Value(0), output_field=IntegerField())


def reached_expression(*, change_model=None) -> Greatest:
    """A deal's furthest step worked out from its history and current stage (for a queryset of deals)."""
    change_model = change_model or OpportunityStageChange
    furthest = (change_model.objects.filter(opportunity=OuterRef("pk")).exclude(to_stage=Stage.LOST)
                .annotate(step=_step_of("to_stage")).order_by("-step").values("step")[:1])
    current = Case(When(stage=Stage.LOST, then=Value(0)), default=_step_of("stage"), output_field=IntegerField())
    return Greatest(Coalesce(Subquery(furthest, output_field=IntegerField()), Value(0)), current,
                    output_field=IntegerField())


def reached_from_rows() -> dict[int, int]:
    """Every deal's furthest step, from the rows: {deal id: step}."""
    return dict(Opportunity.objects.order_by().annotate(computed=reached_expression()).values_list("pk", "computed"))


def opportunity_reached_rebuild(*, apps=None) -> int:
    """Set every deal's `reached_stage` to what its rows say, in one UPDATE; returns how many deals it holds.
    `apps`: a migration's registry (one from before the column: nothing to do)."""
    models = derived_models(apps, "Opportunity", "OpportunityStageChange")
    if models is None or "reached_stage" not in {field.name for field in models[0]._meta.get_fields()}:
        return 0
    opportunity_model, change_model = models
    with transaction.atomic():
        return opportunity_model.objects.update(reached_stage=reached_expression(change_model=change_model))
