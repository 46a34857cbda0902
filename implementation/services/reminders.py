"""Reminders and digests of the implementation stage, sent by the Celery beat tasks in
``implementation/tasks.py``:

- ``send_checkin_reminders``: a pending check-in falls due within the cycle's
  ``reminder_days_before`` (default 2 days);
- ``send_overdue_nudges``: a check-in still pending (or missed) after its due date;
- ``send_manager_digests``: each reviewer's weekly summary of their people (who checked
  in this period, who is overdue, who is behind, what waits for their review);
- ``send_follow_up_reminders``: a corrective action's follow-up date has come (owner and
  reviewer).

Each goes out at most once per key and kind (check-in; deviation and follow-up date;
reviewer and ISO week), even when a task runs twice or on two workers at once: a run
first *claims* its keys in the core's SentReminder table (``perfcycle.notifications``: ``INSERT … ON CONFLICT DO
NOTHING RETURNING``), then writes notifications only for the keys it inserted, all in one
transaction. A second run blocks on the unique index until the first commits and then
claims nothing; if the first crashes, its claims roll back with its notifications and
the next run sends them. Notifications are bulk-inserted in-app rows with ``send_email``
set: the email outbox sweep (``perfcycle.tasks.deliver_pending_emails``) sends them, so
neither ten thousand ``.delay()`` calls nor a broker outage is involved.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from goals.models import GoalLevel, GoalStatus
from implementation.models import (
    CheckIn,
    CheckinSettings,
    CheckinStatus,
    Deviation,
    DeviationStatus,
    ReminderKind,
    Severity,
)
from perfcycle.formatting import format_date
from perfcycle.models import Cycle, Participation
from perfcycle.notifications import Message
from perfcycle.notifications import send_once as core_send_once

BATCH = 1000
DEFAULT_REMINDER_DAYS = 2
DIGEST_LIST_LIMIT = 10
SEVERITY_RANK = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


def send_once(kind: str, messages: dict[str, list[Message]]) -> int:
    """The core's send-once, labelled with this stage's reminder kind."""
    return core_send_once(kind, messages, label=str(ReminderKind(kind).label))


def _checkin_url(checkin_id: int) -> str:
    return reverse("implementation:checkin-detail", args=[checkin_id])


def _deviation_url(deviation_id: int) -> str:
    return reverse("implementation:deviation-detail", args=[deviation_id])


def _in_implementation() -> Q:
    return Q(participation__cycle__phase=Cycle.Phase.IMPLEMENTATION)


def _name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


# --- Check-in due and overdue -------------------------------------------------------------


def _reminder_windows(today: dt.date) -> Q:
    """Pending check-ins due from today to each cycle's ``reminder_days_before`` ahead."""
    days = dict(
        CheckinSettings.objects.filter(cycle__phase=Cycle.Phase.IMPLEMENTATION).values_list(
            "cycle_id", "reminder_days_before"
        )
    )
    window = Q(
        due_date__range=(today, today + dt.timedelta(days=DEFAULT_REMINDER_DAYS)),
        participation__cycle__phase=Cycle.Phase.IMPLEMENTATION,
    ) & ~Q(participation__cycle_id__in=list(days))
    for cycle_id, before in days.items():
        window |= Q(
            participation__cycle_id=cycle_id,
            participation__cycle__phase=Cycle.Phase.IMPLEMENTATION,
            due_date__range=(today, today + dt.timedelta(days=before)),
        )
    return window


def _checkin_rows(queryset):
    return (
        queryset.order_by("pk")
        .values_list(
            "pk",
            "due_date",
            "participation__employee__user_id",
            "participation__employee__user__email",
            "participation__cycle__name",
        )
        .iterator(chunk_size=5000)
    )


def send_checkin_reminders(*, today: dt.date | None = None) -> int:
    """Remind each person whose pending check-in falls due soon, once per check-in."""
    today = today or timezone.localdate()
    pending = CheckIn.objects.filter(_reminder_windows(today), status=CheckinStatus.PENDING)
    body = _("Tell your manager how your goals are going, what went well and what blocks you.")
    no_update = _goals_without_update(pending)
    messages = {}
    for pk, due, user_id, email, cycle_name in _checkin_rows(pending):
        text = body
        if pk in no_update:
            text = f"{body}\n\n{_no_update_line(no_update[pk])}"
        if due == today:
            title = _("%(cycle)s: your check-in is due today") % {"cycle": cycle_name}
        else:
            title = _("%(cycle)s: your check-in is due on %(date)s") % {
                "cycle": cycle_name,
                "date": format_date(due),
            }
        messages[str(pk)] = [Message(user_id, email, title, text, _checkin_url(pk))]
    return send_once(ReminderKind.CHECKIN_DUE, messages)


NO_UPDATE_NAMED = 3


def _goals_without_update(checkins) -> dict[int, list[str]]:
    """By check-in id, the titles of its owner's approved goals in the cycle with no
    reported value yet (one query)."""
    rows = (
        checkins.filter(
            participation__employee__goals__cycle=F("participation__cycle"),
            participation__employee__goals__level=GoalLevel.INDIVIDUAL,
            participation__employee__goals__status=GoalStatus.APPROVED,
            participation__employee__goals__current_value__isnull=True,
        )
        .order_by("pk", "participation__employee__goals__title")
        .values_list("pk", "participation__employee__goals__title")
    )
    titles: dict[int, list[str]] = {}
    for pk, title in rows.iterator(chunk_size=5000):
        titles.setdefault(pk, []).append(title)
    return titles


def _no_update_line(titles: list[str]) -> str:
    """“No update yet on …”: a few goals by name, then how many more."""
    named = ", ".join(f"“{t}”" for t in titles[:NO_UPDATE_NAMED])
    more = len(titles) - NO_UPDATE_NAMED
    if more > 0:
        named += " " + ngettext("and %(count)s more", "and %(count)s more", more) % {"count": more}
    return ngettext(
        "No update yet on %(goals)s: record its progress in this check-in.",
        "No update yet on %(goals)s: record their progress in this check-in.",
        len(titles),
    ) % {"goals": named}


def send_overdue_nudges(*, today: dt.date | None = None) -> int:
    """Nudge each person whose check-in is past due and not submitted, once per check-in."""
    today = today or timezone.localdate()
    overdue = CheckIn.objects.filter(
        _in_implementation(),
        status__in=[CheckinStatus.PENDING, CheckinStatus.MISSED],
        due_date__lt=today,
    )
    body = _("It is not too late: submit it now, and it will be marked as late.")
    messages = {}
    for pk, due, user_id, email, cycle_name in _checkin_rows(overdue):
        title = _("%(cycle)s: your check-in was due on %(date)s") % {
            "cycle": cycle_name,
            "date": format_date(due),
        }
        messages[str(pk)] = [Message(user_id, email, title, body, _checkin_url(pk))]
    return send_once(ReminderKind.CHECKIN_OVERDUE, messages)


# --- Corrective-action follow-ups ---------------------------------------------------------


def send_follow_up_reminders(*, today: dt.date | None = None) -> int:
    """Remind owner and reviewer when an agreed action's follow-up date has come: once
    per deviation and follow-up date (a revised date brings a new reminder)."""
    today = today or timezone.localdate()
    rows = (
        Deviation.objects.filter(
            _in_implementation(),
            status=DeviationStatus.ACTION_AGREED,
            follow_up_date__lte=today,
        )
        .order_by("pk")
        .values(
            "pk",
            "follow_up_date",
            "goal__title",
            "owner__user_id",
            "owner__user__email",
            "owner__user__first_name",
            "owner__user__last_name",
            "owner__user__username",
            "participation__reviewer__user_id",
            "participation__reviewer__user__email",
        )
        .iterator(chunk_size=5000)
    )
    messages = {}
    for row in rows:
        url = _deviation_url(row["pk"])
        goal, when = row["goal__title"], format_date(row["follow_up_date"])
        owner_name = _name(
            row["owner__user__first_name"],
            row["owner__user__last_name"],
            row["owner__user__username"],
        )
        key_messages = [
            Message(
                row["owner__user_id"],
                row["owner__user__email"],
                _("Follow up on your corrective action for “%(goal)s” (due %(date)s)")
                % {"goal": goal, "date": when},
                _("Record how the agreed action went with your manager."),
                url,
            )
        ]
        if row["participation__reviewer__user_id"] is not None:
            key_messages.append(
                Message(
                    row["participation__reviewer__user_id"],
                    row["participation__reviewer__user__email"],
                    _("Follow up with %(name)s on “%(goal)s” (due %(date)s)")
                    % {"name": owner_name, "goal": goal, "date": when},
                    _("Resolve the deviation, revise the action, or accept the shortfall."),
                    url,
                )
            )
        messages[f"{row['pk']}:{row['follow_up_date'].isoformat()}"] = key_messages
    return send_once(ReminderKind.FOLLOW_UP, messages)


# --- The manager's weekly digest ----------------------------------------------------------


@dataclass
class Digest:
    """What one reviewer hears about their people this week (names of people)."""

    user_id: int
    email: str
    people: int = 0
    checked_in: list[str] = field(default_factory=list)
    not_yet: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    to_review: list[str] = field(default_factory=list)
    behind: set[str] = field(default_factory=set)
    # (goal title, owner's name, severity), most severe first
    deviations: list[tuple[str, str, str]] = field(default_factory=list)


def digest_key(reviewer_id: int, today: dt.date) -> str:
    year, week, _weekday = today.isocalendar()
    return f"{reviewer_id}:{year}-W{week:02d}"


def build_digests(*, today: dt.date) -> dict[int, Digest]:
    """Every reviewer's digest, by reviewer (employee) id: four queries whatever the size."""
    digests: dict[int, Digest] = {}
    person: dict[int, tuple[int, str]] = {}  # participation → (reviewer, name)
    participations = (
        Participation.objects.filter(
            cycle__phase=Cycle.Phase.IMPLEMENTATION,
            reviewer__isnull=False,
            reviewer__is_active=True,
            employee__is_active=True,
        )
        .order_by("employee__user__last_name", "employee__user__first_name", "pk")
        .values_list(
            "pk",
            "reviewer_id",
            "reviewer__user_id",
            "reviewer__user__email",
            "employee__user__first_name",
            "employee__user__last_name",
            "employee__user__username",
        )
        .iterator(chunk_size=5000)
    )
    for pk, reviewer_id, user_id, email, first, last, username in participations:
        digest = digests.get(reviewer_id)
        if digest is None:
            digest = digests[reviewer_id] = Digest(user_id=user_id, email=email)
        digest.people += 1
        person[pk] = (reviewer_id, _name(first, last, username))

    checkins = (
        CheckIn.objects.filter(_in_implementation())
        .filter(
            Q(period_start__lte=today, period_end__gte=today)
            | Q(status__in=[CheckinStatus.PENDING, CheckinStatus.MISSED], due_date__lt=today)
            | Q(status=CheckinStatus.SUBMITTED)
        )
        .order_by("participation__employee__user__last_name", "pk")
        .values_list("participation_id", "period_start", "period_end", "due_date", "status")
        .iterator(chunk_size=5000)
    )
    for participation_id, start, end, due, status in checkins:
        if participation_id not in person:
            continue
        reviewer_id, name = person[participation_id]
        digest = digests[reviewer_id]
        if start <= today <= end:
            done = status in (CheckinStatus.SUBMITTED, CheckinStatus.REVIEWED)
            (digest.checked_in if done else digest.not_yet).append(name)
        if status in (CheckinStatus.PENDING, CheckinStatus.MISSED) and due < today:
            digest.overdue.append(name)
        if status == CheckinStatus.SUBMITTED:
            digest.to_review.append(name)

    deviations = (
        Deviation.objects.filter(_in_implementation())
        .unresolved()
        .order_by("-detected_on", "pk")
        .values_list("participation_id", "goal__title", "severity")
        .iterator(chunk_size=5000)
    )
    for participation_id, goal_title, severity in deviations:
        if participation_id not in person:
            continue
        reviewer_id, name = person[participation_id]
        digest = digests[reviewer_id]
        digest.behind.add(name)
        digest.deviations.append((goal_title, name, severity))
    for digest in digests.values():
        digest.deviations.sort(key=lambda row: SEVERITY_RANK[row[2]])
    return digests


def _names(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    shown = ", ".join(names[:DIGEST_LIST_LIMIT])
    if len(names) > DIGEST_LIST_LIMIT:
        shown += " " + _("and %(count)s more") % {"count": len(names) - DIGEST_LIST_LIMIT}
    return shown


def digest_message(digest: Digest) -> tuple[str, str]:
    """The title and body of one digest, in words."""
    title = _(
        "Your team this week: %(checked)s of %(people)s checked in, %(behind)s behind, "
        "%(review)s to review"
    ) % {
        "checked": len(digest.checked_in),
        "people": digest.people,
        "behind": len(digest.behind),
        "review": len(digest.to_review),
    }
    lines = []
    sections = [
        (_("Checked in this period"), digest.checked_in),
        (_("Not checked in yet this period"), digest.not_yet),
        (_("Overdue check-ins"), digest.overdue),
        (_("Check-ins waiting for your review"), digest.to_review),
    ]
    for label, names in sections:
        if names:
            lines.append(f"{label} ({len(names)}): {_names(names)}")
    if digest.deviations:
        lines.append(
            ngettext(
                "%(count)s open deviation:",
                "%(count)s open deviations:",
                len(digest.deviations),
            )
            % {"count": len(digest.deviations)}
        )
        for goal, name, severity in digest.deviations[:DIGEST_LIST_LIMIT]:
            lines.append(f"- {goal} ({name}, {Severity(severity).label.lower()})")
        if len(digest.deviations) > DIGEST_LIST_LIMIT:
            lines.append(
                _("- and %(count)s more") % {"count": len(digest.deviations) - DIGEST_LIST_LIMIT}
            )
    else:
        lines.append(_("No open deviations: everyone is on track."))
    return title, "\n".join(lines)


def send_manager_digests(*, today: dt.date | None = None) -> int:
    """Each reviewer's weekly digest, once per reviewer and ISO week."""
    today = today or timezone.localdate()
    url = reverse("implementation:team-deviations")
    messages = {}
    for reviewer_id, digest in build_digests(today=today).items():
        title, body = digest_message(digest)
        messages[digest_key(reviewer_id, today)] = [
            Message(digest.user_id, digest.email, title, body, url)
        ]
    return send_once(ReminderKind.MANAGER_DIGEST, messages)
