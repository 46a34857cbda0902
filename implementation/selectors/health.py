"""Implementation's lines of a cycle's health on HR's home (registered in
implementation/stage.py): check-ins of this period, open deviations by severity, evidence
verified. One query per cycle in implementation, none per person."""

import datetime as dt

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from implementation.models import CheckIn, CheckinStatus, Deviation, Evidence, Severity
from implementation.selectors.checkins import checkin_period
from perfcycle.formatting import format_date_range
from perfcycle.models import Cycle
from perfcycle.stages import Health

DONE = [CheckinStatus.SUBMITTED, CheckinStatus.REVIEWED]
OPEN = [CheckinStatus.PENDING, CheckinStatus.MISSED]


def _count(qs, **filters):
    """A scalar subquery: how many rows of ``qs`` belong to the outer cycle."""
    rows = (
        qs.filter(participation__cycle=OuterRef("pk"), **filters)
        .order_by()
        .values("participation__cycle")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def implementation_health(cycle: Cycle, *, today: dt.date) -> list[Health]:
    """This period's check-ins in of those due and the last period's (early in a period
    the last one is what tells HR how the cycle goes; overdue: still open past their due
    date), open deviations by severity (overdue: agreed actions past their follow-up
    date), evidence verified of recorded. One query for all."""
    if cycle.phase != Cycle.Phase.IMPLEMENTATION:
        return []
    period = checkin_period(cycle, today)
    period_start = period[0] if period else None
    last = checkin_period(cycle, period[0] - dt.timedelta(days=1)) if period else None
    last_start = last[0] if last else None
    unresolved = Deviation.objects.unresolved()
    counts = (
        Cycle.objects.filter(pk=cycle.pk)
        .annotate(
            checkins_due=_count(CheckIn.objects, period_start=period_start),
            checkins_done=_count(CheckIn.objects, period_start=period_start, status__in=DONE),
            checkins_overdue=_count(
                CheckIn.objects, period_start=period_start, status__in=OPEN, due_date__lt=today
            ),
            last_due=_count(CheckIn.objects, period_start=last_start),
            last_done=_count(CheckIn.objects, period_start=last_start, status__in=DONE),
            last_overdue=_count(
                CheckIn.objects, period_start=last_start, status__in=OPEN, due_date__lt=today
            ),
            deviations=_count(unresolved),
            deviations_overdue=_count(unresolved, follow_up_date__lt=today),
            evidence=_count(Evidence.objects),
            evidence_verified=_count(Evidence.objects, verified_at__isnull=False),
            **{
                f"severity_{value}": _count(unresolved, severity=value) for value in Severity.values
            },
        )
        .values()
        .get()
    )
    deviations_url = f"{reverse('implementation:team-deviations')}?status=unresolved"
    participation_url = f"{reverse('implementation:checkin-participation')}?cycle={cycle.pk}"
    checkins = [
        Health(
            key="checkins",
            label=_("Check-ins this period (%(period)s)")
            % {"period": format_date_range(*period) if period else "—"},
            url=participation_url,
            done=counts["checkins_done"],
            total=counts["checkins_due"],
            overdue=counts["checkins_overdue"],
        )
    ]
    if last and counts["last_due"]:
        checkins.append(
            Health(
                key="checkins_last",
                label=_("Check-ins last period (%(period)s)")
                % {"period": format_date_range(*last)},
                url=f"{participation_url}&period={last[0].isoformat()}",
                done=counts["last_done"],
                total=counts["last_due"],
                overdue=counts["last_overdue"],
            )
        )
    return [
        *checkins,
        Health(
            key="deviations",
            label=_("Open deviations"),
            url=deviations_url,
            done=counts["deviations"],
            overdue=counts["deviations_overdue"],
            parts=tuple(
                (label, counts[f"severity_{value}"], f"{deviations_url}&severity={value}")
                for value, label in Severity.choices
                if counts[f"severity_{value}"]
            ),
        ),
        Health(
            key="evidence",
            label=_("Evidence verified"),
            url=f"{reverse('implementation:evidence-list')}?cycle={cycle.pk}&verified=no",
            done=counts["evidence_verified"],
            total=counts["evidence"],
        ),
    ]
