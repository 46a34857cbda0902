"""Every GET page of every role, derived from the URLconf (shared by the bench and the tests).

``walk(roles)`` lists each named route of ``ROOT_URLCONF``, fills its parameters with real
object ids from the database, requests it once per role with Django's test ``Client``
(``force_login``) and keeps the pages that answer 200 with HTML. Everything else is
reported with the reason: a route only for POST (405), one that redirects the role
elsewhere, a parametrised route with no object in the database, a route excluded by
``SKIP`` below. A 403/404 means "not for this role" and is not reported as a skip.

New pages are included without editing this file: a route without parameters is walked
as it is; a parametrised one finds its objects through the path segment before the
parameter (``goals/<int:pk>/adjust/`` → ``Goal``) or the parameter's name (``cycle_id`` →
``Cycle``), both in ``_models()``.
A new route whose name or parameters match neither is listed as skipped ("no id source"),
which says what to add here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# One login per role: HR, a team lead (4 reports), an employee, and the VP of Engineering,
# who has every Engineering person below him (3,498 at the 10,000-person seed). The other
# demo logins (peer, manager2, employee2) have the same pages as employee and manager.
ROLES = ("hr", "manager", "employee", "rajesh.iyer")

# Routes not walked, with the reason. Keys are namespaces (``"admin"``) or route names.
SKIP = {
    "admin": "Django's admin site (a staff tool, not a PerfCycle page)",
    "password_reset_confirm": "needs a one-time token from a reset email",
    "bench-floor": "the benchmark's own floor page (only with BENCH_FLOOR_PAGE on)",
}

# A GET with a dummy id: a route answering 405 to it is POST-only for every role (the views
# put require_POST outermost or behind hr_required, which lets HR through).
_DUMMY_ID = 2_147_483_000


def _models():
    from appraisal.models import Appraisal, PeerReview
    from feedback.models import Interview
    from goals.models import AdjustmentRequest, Goal, Indicator, RatingScale, Template
    from implementation.models import (
        CheckIn,
        CheckinQuestion,
        Deviation,
        Evidence,
        EvidenceAttachment,
    )
    from perfcycle.models import Cycle, Notification, OrgImport

    # The path segment before a parameter names its model: goals/<int:pk>/adjust/ → Goal.
    by_segment = {
        "cycles": Cycle,
        "goals": Goal,
        "adjustments": AdjustmentRequest,
        "scales": RatingScale,
        "indicators": Indicator,
        "templates": Template,
        "questions": CheckinQuestion,
        "checkins": CheckIn,
        "deviations": Deviation,
        "evidence": Evidence,
        "files": EvidenceAttachment,
        "import": OrgImport,
        "notifications": Notification,
        "email-failures": Notification,
        "appraisals": Appraisal,
        "peers": PeerReview,
        "interviews": Interview,
    }
    by_kwarg = {"cycle_id": Cycle, "cycle_pk": Cycle, "goal_id": Goal}
    # How an object belongs to a person (an Employee lookup path), for "own, then a
    # report's, then anyone's" candidate order.
    owner_path = {
        Goal: "owner",
        AdjustmentRequest: "goal__owner",
        CheckIn: "participation__employee",
        Deviation: "owner",
        Evidence: "participation__employee",
        EvidenceAttachment: "evidence__participation__employee",
        Cycle: "participations__employee",
        Appraisal: "participation__employee",
        PeerReview: "peer",
        Interview: "participation__employee",
    }
    user_path = {Notification: "recipient", OrgImport: "uploaded_by"}
    return by_segment, by_kwarg, owner_path, user_path


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    pattern: str  # "planning/goals/<int:pk>/"
    kwargs: tuple[str, ...]

    @property
    def label(self) -> str:
        return "/" + self.pattern


@dataclass
class Page:
    route: Route
    role: str
    url: str
    queries: int = 0
    html_bytes: int = 0


@dataclass
class Walk:
    pages: list[Page] = field(default_factory=list)
    # (route label or name, role or "all", reason)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


def routes() -> list[Route]:
    """Every named route of the URLconf, in URLconf order."""
    found: list[Route] = []

    def visit(patterns, prefix: str, namespace: str | None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or namespace
                if ns and ns in SKIP:
                    if not any(r.name.startswith(ns + ":") for r in found):
                        found.append(Route(f"{ns}:*", prefix + str(entry.pattern), ()))
                    continue
                visit(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                kwargs = (
                    tuple(entry.pattern.converters) if hasattr(entry.pattern, "converters") else ()
                )
                pattern = prefix + str(entry.pattern)
                # A later route with the same path is never reached (the first one answers).
                if all(r.pattern != pattern for r in found):
                    found.append(Route(name, pattern, kwargs))

    visit(get_resolver().url_patterns, "", None)
    return found


def _model_for(route: Route, kwarg: str):
    by_segment, by_kwarg, _, _ = _models()
    if kwarg in by_kwarg:
        return by_kwarg[kwarg]
    before = route.pattern.split(f":{kwarg}>")[0].rsplit("<", 1)[0].rstrip("/")
    return by_segment.get(before.rsplit("/", 1)[-1])


def _candidates(model, user, limit: int = 1) -> list[int]:
    """Ids of ``model`` for ``user``: their own first, then a direct report's, then anyone's."""
    _, _, owner_path, user_path = _models()
    from perfcycle.models import Cycle, Employee

    # The running cycle before last year's; other objects oldest first (stable as data grows).
    base = model._default_manager.order_by(*(("-start_date", "pk") if model is Cycle else ("pk",)))
    ids: list[int] = []

    def add(qs):
        added = 0
        for pk in qs.values_list("pk", flat=True)[: limit * 4]:
            if pk not in ids:
                ids.append(pk)
                added += 1
                if added == limit:
                    return

    employee = Employee.objects.filter(user=user).first()
    if model in owner_path and employee is not None:
        path = owner_path[model]
        add(base.filter(**{path: employee}))
        add(base.filter(**{f"{path}__manager": employee}))
    elif model in user_path:
        add(base.filter(**{user_path[model]: user}))
    add(base)
    return ids[: limit * 3]


def _kwargs_options(route: Route, user) -> list[dict] | str:
    """Parameter sets to try for ``route`` as ``user``, or the reason there are none."""
    if not route.kwargs:
        return [{}]
    if route.name == "implementation:attachment-download":
        from implementation.models import EvidenceAttachment

        rows = EvidenceAttachment.objects.order_by("pk").values_list("evidence_id", "pk")[:3]
        return [{"pk": e, "attachment_id": a} for e, a in rows] or "no object in the database"
    if len(route.kwargs) != 1:
        return "no id source (several parameters): add one to bench/urlwalk.py"
    (kwarg,) = route.kwargs
    model = _model_for(route, kwarg)
    if model is None:
        return "no id source: add its path segment to by_segment in bench/urlwalk.py"
    ids = _candidates(model, user)
    if not ids:
        return f"no {model._meta.verbose_name} in the database"
    return [{kwarg: pk} for pk in ids]


def _skip_reason(route: Route) -> str | None:
    ns = route.name.split(":")[0] if ":" in route.name else None
    if ns in SKIP:
        return SKIP[ns]
    return SKIP.get(route.name)


def client_for(user) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def walk(roles=ROLES, *, on_page=None, only=None) -> Walk:
    """Request every route once per role; ``on_page(page, client)`` runs for each 200 page.

    ``only``: a set of (route name, role) to request, e.g. the pages of an earlier walk
    (nothing else is probed or reported)."""
    User = get_user_model()
    result = Walk()
    users = {u.username: u for u in User.objects.filter(username__in=roles)}
    clients = {role: client_for(users[role]) for role in roles if role in users}
    for role in roles:
        if role not in users:
            result.skipped.append(("every route", role, "no such user in the database"))
    # POST-only probes go through HR (hr_required before require_POST lets only HR reach 405).
    hr = User.objects.filter(username="hr").first()
    probe = client_for(hr) if hr is not None else next(iter(clients.values()))
    for route in routes():
        if only is not None and not any((route.name, role) in only for role in clients):
            continue
        reason = _skip_reason(route)
        if reason:
            result.skipped.append((route.label, "all", reason))
            continue
        if route.kwargs:  # (a route without parameters says 405 to each role below)
            dummy = dict.fromkeys(route.kwargs, _DUMMY_ID)
            if probe.get(reverse(route.name, kwargs=dummy)).status_code == 405:
                result.skipped.append((route.label, "all", "POST only"))
                continue
        for role, client in clients.items():
            if only is not None and (route.name, role) not in only:
                continue
            options = _kwargs_options(route, users[role])
            if isinstance(options, str):
                result.skipped.append((route.label, role, options))
                continue
            for kwargs in options:
                url = reverse(route.name, kwargs=kwargs)
                response = client.get(url)
                status = response.status_code
                if status in (403, 404):
                    continue
                if status == 405:
                    result.skipped.append((route.label, role, "POST only"))
                    break
                if status in (301, 302):
                    result.skipped.append(
                        (route.label, role, f"redirects to {response.headers['Location']}")
                    )
                    break
                if status != 200:
                    result.skipped.append((route.label, role, f"answered {status}"))
                    break
                if not response.get("Content-Type", "").startswith("text/html"):
                    result.skipped.append(
                        (route.label, role, f"not a page ({response['Content-Type']})")
                    )
                    break
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                page = Page(route, role, url, len(queries), len(response.content))
                result.pages.append(page)
                if on_page is not None:
                    on_page(page, client)
                break
    return result
