"""The feedback interview as an iCalendar file (RFC 5545/5546), built with icalendar.

One VEVENT per file, its identity kept across updates: ``UID`` is the interview's
``ics_uid`` (a new one only when it is scheduled again after a cancel) and ``SEQUENCE``
its ``ics_sequence`` (raised by every reschedule and the cancel), so a calendar client
replaces the event it has instead of adding a second one.

- ``METHOD:REQUEST``: the invitation and each update, sent by email to the employee.
- ``METHOD:CANCEL``: the cancel (``STATUS:CANCELLED``), same UID, higher SEQUENCE.
- ``METHOD:PUBLISH``: the "Add to calendar" download on the interview page (no
  ATTENDEE, as RFC 5546 wants for PUBLISH; the organiser stays).

Times carry the site's zone (``settings.TIME_ZONE``) as ``TZID`` with its ``VTIMEZONE``;
UTC is written in the UTC form (``…Z``), which needs none. The DESCRIPTION is fixed
text about the meeting and never any preparation note (see feedback/models.py).

ORM-free: it reads only the interview's own fields and the names handed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

PRODID = "-//PerfCycle//Feedback interview//EN"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"
MIMETYPE = "text/calendar"


@dataclass(frozen=True)
class Party:
    """A person on the invitation: their name and email address."""

    name: str
    email: str


def _address(party: Party, **params) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{party.email}")
    address.params["CN"] = icalendar.vText(party.name)
    for key, value in params.items():
        address.params[key] = icalendar.vText(value)
    return address


def _zone():
    name = settings.TIME_ZONE or "UTC"
    return name, ZoneInfo(name)


def _is_utc(name: str) -> bool:
    return name.upper() in {"UTC", "ETC/UTC", "GMT", "ETC/GMT", "Z"}


def organizer_email(email: str) -> str:
    """The organiser's address: the manager's, else the site's sender (RFC 5546 needs an
    ORGANIZER on every REQUEST and CANCEL)."""
    from email.utils import parseaddr

    return email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "perfcycle@localhost"


def interview_calendar(
    interview,
    *,
    method: str,
    organizer: Party,
    attendee: Party,
    summary: str,
    url: str,
    now: dt.datetime | None = None,
) -> bytes:
    """The .ics file of ``interview`` for ``method`` (REQUEST, CANCEL or PUBLISH)."""
    zone_name, zone = _zone()
    start = timezone.localtime(interview.starts_at, zone)
    end = start + dt.timedelta(minutes=interview.duration_minutes)
    cancelled = method == CANCEL

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if not _is_utc(zone_name):
        calendar.add_component(
            icalendar.Timezone.from_tzid(
                zone_name,
                first_date=start.date() - dt.timedelta(days=366),
                last_date=end.date() + dt.timedelta(days=366),
            )
        )

    event = icalendar.Event()
    event.add("uid", interview.ics_uid)
    event.add("sequence", interview.ics_sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(dt.UTC))
    event.add("dtstart", start.astimezone(dt.UTC) if _is_utc(zone_name) else start)
    event.add("dtend", end.astimezone(dt.UTC) if _is_utc(zone_name) else end)
    event.add("summary", summary)
    where = interview.location or interview.video_link
    if where:
        event.add("location", where)
    event.add("description", _description(interview, url=url, cancelled=cancelled))
    if url:
        event.add("url", url, parameters={"VALUE": "URI"})
    event.add("organizer", _address(Party(organizer.name, organizer_email(organizer.email))))
    # RFC 5546: a PUBLISH (the download) names no attendees; REQUEST and CANCEL do.
    if attendee.email and method != PUBLISH:
        event.add(
            "attendee",
            _address(
                attendee,
                CUTYPE="INDIVIDUAL",
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="NEEDS-ACTION",
                RSVP="TRUE",
            ),
        )
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical()


def _description(interview, *, url: str, cancelled: bool) -> str:
    """Fixed text about the meeting: what it is, where, and the page. Never the notes
    of either side (they are not even read here)."""
    lines = []
    if cancelled:
        lines.append(_("This feedback interview is cancelled."))
    else:
        lines.append(
            _(
                "Your feedback interview about the cycle's result: what went well, what "
                "to improve and the goals of the next cycle."
            )
        )
    if interview.location:
        lines.append(_("Place: %(place)s") % {"place": interview.location})
    if interview.video_link:
        lines.append(_("Video link: %(link)s") % {"link": interview.video_link})
    if url:
        lines.append(_("In PerfCycle: %(url)s") % {"url": url})
    return "\n".join(lines)
