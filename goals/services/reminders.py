"""Planning reminders: tell everyone not ready in a cycle what is left to do, at most once
a day. Run by goals.tasks: daily on the beat schedule for every cycle in planning (as
SYSTEM), and on HR's button on the planning progress page (as that HR admin)."""

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from goals import selectors
from goals.models import GoalStatus
from perfcycle.audit import record_event
from perfcycle.formatting import format_date
from perfcycle.models import Cycle, Employee
from perfcycle.notifications import claim_once, notify
from perfcycle.workflow import lock_for_update, require_actor

REMINDER_KIND = "planning_reminder"


def send_planning_reminders(*, cycle: Cycle, actor, today: dt.date | None = None) -> int:
    """Remind everyone not ready in ``cycle``, at most once per person per day; returns how
    many were reminded. People without goals or with weights off are told what to do;
    reviewers are told how many of their people wait for their approval. ``actor``: the
    HR admin who asked, or ``SYSTEM`` on the beat schedule.

    Safe to run any number of times: the cycle row lock serialises concurrent runs and
    the core's send-once keys (cycle, person, day) are the record of who was told.
    """
    require_actor(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        cycle = lock_for_update(Cycle, cycle.pk)
        if cycle.phase != Cycle.Phase.PLANNING:
            return 0
        lines = _reminder_lines(cycle)
        keys = {
            f"{cycle.pk}:{employee_id}:{today.isoformat()}": employee_id for employee_id in lines
        }
        claimed = claim_once(REMINDER_KIND, keys)
        due = [employee_id for key, employee_id in keys.items() if key in claimed]
        recipients = Employee.objects.select_related("user").in_bulk(due)
        for employee_id in due:
            title, url = lines[employee_id][0]
            notify(
                recipient=recipients[employee_id].user,
                title=title,
                body="\n".join(text for text, _url in lines[employee_id]),
                url=url,
            )
        record_event(
            actor=actor,
            verb="planning.reminders_sent",
            obj=cycle,
            after={"date": today.isoformat(), "sent": len(due), "skipped": len(keys) - len(due)},
        )
    return len(due)


def _reminder_lines(cycle: Cycle) -> dict[int, list[tuple[str, str]]]:
    """Who to remind of what: employee id → [(sentence, url)], most urgent first."""
    my_goals = f"{reverse('goals:my-goals')}?cycle={cycle.pk}"
    team = f"{reverse('goals:team-goals')}?cycle={cycle.pk}&status={GoalStatus.SUBMITTED}"
    deadline = format_date(cycle.planning_deadline)
    lines: dict[int, list[tuple[str, str]]] = {}
    waiting: dict[int, int] = {}
    rows = (
        selectors.planning_readiness(cycle)
        .exclude(readiness=selectors.Readiness.READY)
        .values_list("employee_id", "reviewer_id", "readiness", "approved_weight")
        .order_by("pk")
    )
    for employee_id, reviewer_id, readiness, approved_weight in rows.iterator(chunk_size=2000):
        if readiness == selectors.Readiness.NO_GOALS:
            text = _("%(cycle)s: draft your goals and submit them by %(date)s.") % {
                "cycle": cycle.name,
                "date": deadline,
            }
            lines.setdefault(employee_id, []).append((text, my_goals))
        elif readiness == selectors.Readiness.WEIGHTS_OFF:
            text = _(
                "%(cycle)s: your approved goal weights total %(total)s %%; they must total "
                "100 %% by %(date)s."
            ) % {
                "cycle": cycle.name,
                "total": selectors.percent_text(approved_weight),
                "date": deadline,
            }
            lines.setdefault(employee_id, []).append((text, my_goals))
        elif reviewer_id is not None:
            waiting[reviewer_id] = waiting.get(reviewer_id, 0) + 1
    for reviewer_id, count in waiting.items():
        text = ngettext(
            "%(cycle)s: %(count)s person waits for you to approve their goals.",
            "%(cycle)s: %(count)s people wait for you to approve their goals.",
            count,
        ) % {"cycle": cycle.name, "count": count}
        # A reviewer's own to-do comes first: others are blocked on it.
        lines.setdefault(reviewer_id, []).insert(0, (text, team))
    return lines
