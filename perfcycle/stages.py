"""The stage registry: what each stage adds to the core's pages, without the core
importing a stage.

Every stage app (and the core itself, for its own entries) fills the registry from its
``AppConfig.ready()``:

- navigation entries per area ("My work", "My team", HR), each area one menu of the bar,
  and the stage headings that section every menu (``register_nav_group``, ``register_nav``);
- to-do providers for the home pages (``register_todo_provider``), each called with the
  one ``Viewer`` of the request;
- cycle-page actions: buttons on the cycle page, links on the "My cycle" card and under a
  phase of the timeline (``register_cycle_action``);
- removal guards: why a participant may not leave a cycle, plus an optional cleanup of
  untouched system-made rows (``register_removal_guard``);
- health providers for HR's home (``register_health_provider``): per open cycle, what
  share of the stage's work is done and what is overdue, each with a link to its list;
- exports, for the later stages' downloads (``register_export``);
- check-in panels (``register_checkin_panel``): what a later stage shows on a person's
  check-in page (e.g. the improvement plan's next check-point), rendered generically by
  implementation, which never imports that stage.

A new stage puts its registrations in ``<app>/stage.py`` and calls them from ready()
(see goals/stage.py, implementation/stage.py)::

    register_nav_group(NavGroup("appraisal", _("Appraisal"), 60, stage="appraisal"))
    register_nav(NavEntry("appraisal", _("Appraisal"), "appraisal:mine", Area.MY, 60,
                          stage="appraisal"))
    register_todo_provider(appraisal_todos)          # appraisal_todos(viewer) -> [Todo]
    register_cycle_action(CycleAction("calibrate", _("Calibrate"), "appraisal:calibration",
                                      50, roles=frozenset({Role.HR}),
                                      phases=frozenset({Cycle.Phase.APPRAISAL})))
    register_removal_guard(RemovalGuard(stage="appraisal", guard=appraisal_blockers))

Entries are frozen dataclasses keyed by ``key``: registering the same entry twice keeps
it once (``ready()`` may run twice in tests); a different entry under a taken key is a
configuration error, so two stages cannot silently fight over one ``data-nav`` name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl

from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Q
from django.http import Http404
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from perfcycle import access
from perfcycle.compiled import CompiledQuery
from perfcycle.models import Cycle, Employee, Participation


class Role(StrEnum):
    EMPLOYEE = "employee"  # has an Employee record
    MANAGER = "manager"  # has active reports
    HR = "hr"
    ANYONE = "anyone"  # any signed-in user


class Area(StrEnum):
    """Where an entry sits in the bar, in this order: one menu each for MY, TEAM and HR (its
    toggle's data-nav is ``area-<value>``); ACCOUNT's links sit on the right-hand side."""

    MY = "my"
    TEAM = "team"
    HR = "hr"
    ACCOUNT = "account"

    @property
    def label(self):
        return AREA_LABELS.get(self, "")


AREA_LABELS = {Area.MY: _("My work"), Area.TEAM: _("My team"), Area.HR: _("HR")}


AREA_ROLES = {
    Area.MY: frozenset({Role.EMPLOYEE}),
    Area.TEAM: frozenset({Role.MANAGER}),
    Area.HR: frozenset({Role.HR}),
    Area.ACCOUNT: frozenset({Role.ANYONE}),
}
AREA_ORDER = {area: index for index, area in enumerate(Area)}


# --- Which cycle a page is about: one rule for every page ---------------------------------


def running_first_key(cycle, today):
    """The default-cycle rule, as a sort key: a cycle that has started (its current phase is
    running for its people, e.g. implementation) before one whose start date is still in the
    future (e.g. next year's cycle in planning); among started cycles the newest first,
    among future ones the soonest first."""
    if cycle.start_date <= today:
        return (0, -cycle.start_date.toordinal(), -cycle.pk)
    return (1, cycle.start_date.toordinal(), cycle.pk)


def running_first(items: Iterable, *, cycle_of: Callable = lambda item: item, today=None) -> list:
    """``items`` (cycles, or participations with ``cycle_of=lambda p: p.cycle``) in the
    order of the default-cycle rule: the first is what a page shows unless asked."""
    today = today or timezone.localdate()
    return sorted(items, key=lambda item: running_first_key(cycle_of(item), today))


# Asked by most pages of a person (their home, goals, check-ins, appraisal): the SQL is
# built once per process (perfcycle/compiled.py), ~2 ms of CPU a page otherwise.
_open_participations = CompiledQuery(
    lambda employee_id: (
        Participation.objects.select_related("cycle", "reviewer__user")
        .filter(employee_id=employee_id)
        .exclude(cycle__phase=Cycle.Phase.CLOSED)
    )
)


def open_participations(employee) -> list:
    """The employee's participations in open (not closed) cycles, with their cycle and
    reviewer (the person is ``employee`` itself), in the order of the default-cycle rule:
    one query."""
    if employee is None:
        return []
    participations = _open_participations(employee.pk)
    for participation in participations:  # the person is the one in hand: no join for them
        participation.employee = employee
    return running_first(participations, cycle_of=lambda p: p.cycle)


def choose_participation(participations, cycle_id: int | None):
    """From participations already in the rule's order: the one in ``cycle_id`` (404 if
    none is), else the first; None when there is none."""
    if cycle_id is None:
        return participations[0] if participations else None
    for participation in participations:
        if participation.cycle_id == cycle_id:
            return participation
    raise Http404


def pick_cycle(cycles: Iterable, cycle_id: int | None):
    """The cycle ``cycle_id`` among ``cycles`` (404 if it is not one of them), else the
    default by the rule; None when there is none."""
    ordered = running_first(cycles)
    if cycle_id is None:
        return ordered[0] if ordered else None
    for cycle in ordered:
        if cycle.pk == cycle_id:
            return cycle
    raise Http404


# --- The viewer: who is asking, computed once per request ---------------------------------


def _reviewed_queryset(employee_id):
    reviewers = Employee.objects.filter(Q(pk=employee_id) | Q(manager_id=employee_id))
    return (
        Participation.objects.filter(reviewer__in=reviewers.values("pk"))
        .exclude(cycle__phase=Cycle.Phase.CLOSED)
        .annotate(
            phase=F("cycle__phase"),
            appraisal_deadline=F("cycle__appraisal_deadline"),
            reviewer_user_id=F("reviewer__user_id"),
        )
        .values(
            "pk",
            "cycle_id",
            "phase",
            "appraisal_deadline",
            "employee_id",
            "reviewer_id",
            "reviewer_user_id",
        )
        .order_by("pk")
    )


# Every home page asks it (reviewer to-dos): built once per process (perfcycle/compiled.py).
_reviewed_rows = CompiledQuery(_reviewed_queryset)


@dataclass(frozen=True)
class Viewer:
    """Everything the navigation and the to-do providers ask about the signed-in user,
    looked up once per request (``viewer_for``). Costly answers that not every page needs
    are ``cached_property``: computed on first use, then shared by every provider."""

    user: Any
    employee: Any
    is_hr: bool
    is_manager: bool

    @classmethod
    def of(cls, user) -> Viewer:
        """A fresh viewer for ``user`` (tasks, tests); views use ``viewer_for(request)``."""
        return cls(
            user=user,
            employee=access.employee_of(user) if user.is_authenticated else None,
            is_hr=access.is_hr(user),
            is_manager=access.is_manager(user),
        )

    @cached_property
    def participations(self) -> tuple:
        """Open (not closed) participations of the person, with their people, in the
        order of the default-cycle rule (``running_first``): one query on first use."""
        return tuple(open_participations(self.employee))

    @property
    def roles(self) -> frozenset[Role]:
        roles = {Role.ANYONE}
        if self.employee is not None:
            roles.add(Role.EMPLOYEE)
        if self.is_manager:
            roles.add(Role.MANAGER)
        if self.is_hr:
            roles.add(Role.HR)
        return frozenset(roles)

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles & frozenset(roles))

    @property
    def current_participation(self):
        """The participation every page shows by default: the open cycle that is running
        for the person (``running_first``), or None."""
        return self.participations[0] if self.participations else None

    def participation_for(self, cycle_id: int | None):
        """The participation in ``cycle_id`` (404 unless the person is in that open
        cycle), else the default one."""
        return choose_participation(self.participations, cycle_id)

    @property
    def cycle_choices(self) -> list:
        """The person's open cycles for the cycle chooser, in the rule's order."""
        return [p.cycle for p in self.participations]

    def participations_in(self, *phases) -> list:
        return [p for p in self.participations if p.cycle.phase in phases]

    @property
    def report_ids_subquery(self):
        """Direct and indirect reports as a SQL subquery (no query of its own)."""
        return access.report_ids(self.employee)

    @cached_property
    def report_ids(self) -> frozenset[int]:
        """Direct and indirect report ids, one query on first use."""
        if self.employee is None:
            return frozenset()
        return frozenset(access.reports_of(self.user).values_list("pk", flat=True))

    @cached_property
    def reviewed(self) -> tuple[dict, ...]:
        """The participations of open cycles that the person reviews, and those whose
        reviewer they manage (next up, for four-eyes), as rows (``pk``, ``cycle_id``,
        ``phase``, ``appraisal_deadline``, ``employee_id``, ``reviewer_id``,
        ``reviewer_user_id``): one query on
        first use, so reviewer to-dos filter by these ids (an index each) instead of
        joining every participation, and need no query at all for the many who review
        nobody."""
        if self.employee is None:
            return ()
        return tuple(_reviewed_rows(self.employee.pk))

    def reviewed_ids(self, *phases) -> list[int]:
        """Ids of the participations the person reviews in cycles in ``phases``."""
        mine = self.employee.pk if self.employee else None
        return [r["pk"] for r in self.reviewed if r["reviewer_id"] == mine and r["phase"] in phases]

    def next_up_rows(self, *phases) -> list[dict]:
        """``reviewed`` rows whose reviewer the person manages, in cycles in ``phases``."""
        mine = self.employee.pk if self.employee else None
        return [r for r in self.reviewed if r["reviewer_id"] != mine and r["phase"] in phases]

    @property
    def reviews_anyone(self) -> bool:
        """Whether the person reviews a participation of an open cycle: reviewer to-dos
        need no query of their own for the many who review nobody."""
        return bool(self.reviewed_ids(*OPEN_PHASES))

    def own_participation_ids(self, *phases) -> list[int]:
        return [p.pk for p in self.participations if p.cycle.phase in phases]

    @cached_property
    def unread_notifications(self) -> int:
        return access.unread_notifications(self.user)


def viewer_for(request) -> Viewer:
    """The request's viewer, built on first use and kept on the request."""
    viewer = getattr(request, "_perfcycle_viewer", None)
    if viewer is None or viewer.user is not request.user:
        viewer = Viewer.of(request.user)
        request._perfcycle_viewer = viewer
    return viewer


# --- What stages register -----------------------------------------------------------------


@dataclass(frozen=True)
class NavGroup:
    """A heading inside the area menus (e.g. "Planning"), sections in ``order``.

    A stage's entries sit under the group of their stage (the group whose ``stage`` is the
    entry's), in whichever area they are, so each menu reads by stage: "My work" has
    Planning › Goals and Implementation › Check-ins, HR has the same headings for its pages.
    An entry may name another group (``NavEntry.group``). The core's own entries (and a
    stage's without a group) open the menu, under no heading."""

    key: str  # the heading's data-nav-section
    label: Any
    order: int
    stage: str = "perfcycle"


@dataclass(frozen=True)
class NavEntry:
    """One link in the navigation bar.

    It is the current page when the request resolved to one of ``current_on`` (default:
    ``url_name``) and, if the entry has a ``query``, the request carries that query; an
    entry without a query is not current when a sibling with the same URL and a matching
    query is ("Evidence" vs "Evidence to verify")."""

    key: str  # data-nav, unique in the bar
    label: Any
    url_name: str  # namespaced, e.g. "goals:my-goals"
    area: Area
    order: int
    query: str = ""  # e.g. "to_verify=1"
    group: str = ""  # a NavGroup key; "" for its stage's group (or none: the menu's top)
    roles: frozenset[Role] | None = None  # default: the area's role
    stage: str = "perfcycle"
    current_on: tuple[str, ...] = ()
    badge: str = ""  # a Viewer attribute holding a count, e.g. "unread_notifications"

    @property
    def visible_to_roles(self) -> frozenset[Role]:
        return self.roles if self.roles is not None else AREA_ROLES[self.area]

    @property
    def query_items(self) -> tuple[tuple[str, str], ...]:
        return tuple(parse_qsl(self.query))


class Place(StrEnum):
    """Where a cycle action shows."""

    CYCLE_PAGE = "cycle-page"  # the buttons at the top of the cycle page
    MY_CYCLE = "my-cycle"  # the "My cycle" card on the employee's home
    TIMELINE = "timeline"  # under its phase on the cycle timeline


ALL_PHASES = frozenset(Cycle.Phase)
OPEN_PHASES = ALL_PHASES - {Cycle.Phase.CLOSED}


@dataclass(frozen=True)
class CycleAction:
    """A link about one cycle. ``with_cycle`` passes the cycle id as the URL's argument;
    ``query`` may name ``{cycle}``. Shown to ``roles`` while the cycle is in ``phases``
    (on the timeline: under each of those phases)."""

    key: str
    label: Any
    url_name: str
    order: int
    place: Place = Place.CYCLE_PAGE
    roles: frozenset[Role] = frozenset({Role.ANYONE})
    phases: frozenset = ALL_PHASES
    with_cycle: bool = True
    query: str = ""
    stage: str = "perfcycle"

    def url(self, cycle) -> str:
        url = reverse(self.url_name, args=[cycle.pk] if self.with_cycle else [])
        return f"{url}?{self.query.format(cycle=cycle.pk)}" if self.query else url


@dataclass(frozen=True)
class RemovalGuard:
    """``guard(participation) -> list[str]``: reasons the person may not leave the cycle
    (what of theirs this stage holds). ``cleanup(participation, actor) -> dict`` removes
    this stage's untouched system-made rows (never user data) and says what it removed;
    it runs only when no guard objects, in the removal's transaction, before the delete."""

    stage: str
    guard: Callable[[Participation], list[str]]
    cleanup: Callable[[Participation, Any], dict] | None = None


@dataclass(frozen=True)
class Health:
    """One line of a cycle's health on HR's home: ``done`` of ``total`` (or just a count
    when ``total`` is None), what is ``overdue`` of it, and the filtered list it links to.
    ``parts`` break the count down (e.g. open deviations by severity) as (label, count, url)."""

    key: str
    label: Any
    url: str
    done: int
    total: int | None = None
    overdue: int = 0
    parts: tuple = ()

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return round(100 * self.done / self.total)


@dataclass(frozen=True)
class Export:
    """A download a later stage offers (payroll CSV, …); listed, not yet rendered."""

    key: str
    label: Any
    url_name: str
    roles: frozenset[Role] = frozenset({Role.HR})
    stage: str = "perfcycle"


@dataclass(frozen=True)
class CheckinPanel:
    """One box on a check-in page: ``template`` rendered with ``context`` (the template
    reads it as ``panel.context``). ``order`` places it among other stages' panels."""

    key: str
    title: Any
    template: str
    context: dict = field(default_factory=dict, compare=False, hash=False)
    order: int = 100


# --- What the core renders -----------------------------------------------------------------


@dataclass
class NavItem:
    """One rendered link of the bar, or (with ``children``) an area's menu or a section of
    it (a section's ``label`` is its heading, "" for none)."""

    key: str
    label: Any
    url: str = "#"
    current: bool = False
    badge: int = 0
    children: list[NavItem] = field(default_factory=list)

    @property
    def links(self) -> list[NavItem]:
        """A menu's links, through its sections."""
        return [link for section in self.children for link in section.children]


class StageRegistry:
    def __init__(self):
        self._groups: dict[str, NavGroup] = {}
        self._nav: dict[str, NavEntry] = {}
        self._actions: dict[str, CycleAction] = {}
        self._exports: dict[str, Export] = {}
        self._todo_providers: dict[str, list[Callable]] = {"person": [], "hr": []}
        self._guards: dict[str, RemovalGuard] = {}
        self._health_providers: list[Callable] = []
        self._checkin_panels: dict[str, Callable] = {}
        # The bar's layout per (roles, language, URL prefix): entries in order with their
        # labels, URLs and section headings resolved once per process (see ``_layout``).
        self._layouts: dict[tuple, list[tuple]] = {}
        # The bar's rendered HTML per (layout, current links, badge counts): see ``bar_html``.
        self._bar_html: dict[tuple, tuple[str, str]] = {}

    @staticmethod
    def _put(store: dict, key: str, item) -> None:
        if key in store and store[key] != item:
            raise ImproperlyConfigured(f"Stage registry: {key!r} is already registered.")
        store[key] = item

    # Registration ------------------------------------------------------------------------

    def register_nav_group(self, group: NavGroup) -> None:
        self._put(self._groups, group.key, group)
        self._layouts.clear()
        self._bar_html.clear()

    def register_nav(self, entry: NavEntry) -> None:
        self._put(self._nav, entry.key, entry)
        self._layouts.clear()
        self._bar_html.clear()

    def register_cycle_action(self, action: CycleAction) -> None:
        self._put(self._actions, action.key, action)

    def register_export(self, export: Export) -> None:
        self._put(self._exports, export.key, export)

    def register_todo_provider(self, provider: Callable, *, audience: str = "person") -> None:
        """``provider(viewer) -> list[Todo]``; audience "person" (my/team home) or "hr"."""
        providers = self._todo_providers[audience]
        if provider not in providers:
            providers.append(provider)

    def register_removal_guard(self, guard: RemovalGuard) -> None:
        self._put(self._guards, guard.stage, guard)

    def register_health_provider(self, provider: Callable) -> None:
        """``provider(cycle, *, today) -> list[Health]`` for one open cycle: nothing for a
        phase the stage has no work in. A few queries per cycle, none per person. HR's home
        stores what the providers return (perfcycle/rollups.py) until a tracked table
        changes: a stage tracks the tables its provider reads with ``rollups.track_tables``
        in a migration of its own (see implementation/migrations/0005_…)."""
        if provider not in self._health_providers:
            self._health_providers.append(provider)

    def register_checkin_panel(self, key: str, provider: Callable) -> None:
        """``provider(participation, viewer) -> list[CheckinPanel]``: what a stage shows on
        the check-in pages of ``participation`` to ``viewer`` (nothing it may not read).
        A few queries per page, none per row; nothing at all when it has nothing to show
        is best (the check-in pages have a query budget)."""
        self._put(self._checkin_panels, key, provider)

    # Reading -----------------------------------------------------------------------------

    def nav_entries(self, viewer: Viewer) -> list[NavEntry]:
        entries = [e for e in self._nav.values() if viewer.has_any(e.visible_to_roles)]
        return sorted(entries, key=self._entry_position)

    def _group_of(self, entry: NavEntry) -> NavGroup | None:
        if entry.group:
            if entry.group not in self._groups:
                raise ImproperlyConfigured(f"Stage registry: no nav group {entry.group!r}.")
            return self._groups[entry.group]
        of_stage = [g for g in self._groups.values() if g.stage == entry.stage]
        return min(of_stage, key=lambda g: (g.order, g.key)) if of_stage else None

    def _entry_position(self, entry: NavEntry):
        group = self._group_of(entry)
        section = (group.order, group.key) if group else (0, "")
        return (AREA_ORDER[entry.area], section, entry.order, entry.key)

    def navigation(self, viewer: Viewer, *, view_name: str, query) -> dict[Area, list[NavItem]]:
        """The bar for ``viewer`` on the page ``view_name`` (resolver view name) with GET
        ``query``. Per area, its sections in order (each a NavItem whose children are the
        links; the first has no heading when the core has entries there), except ACCOUNT:
        its links, flat. The current link is marked, and so is its section."""
        layout = self._layout(viewer)
        current = self._current_keys([row[0] for row in layout], view_name, query)
        areas: dict[Area, list[NavItem]] = {area: [] for area in Area}
        sections: dict[tuple[Area, str], NavItem] = {}
        for entry, label, url, group, group_label in layout:
            item = NavItem(
                key=entry.key,
                label=label,
                url=url,
                current=entry.key in current,
                badge=getattr(viewer, entry.badge) if entry.badge else 0,
            )
            if entry.area == Area.ACCOUNT:
                areas[entry.area].append(item)
                continue
            place = (entry.area, group.key if group else "")
            if place not in sections:
                sections[place] = NavItem(key=place[1], label=group_label)
                areas[entry.area].append(sections[place])
            section = sections[place]
            section.children.append(item)
            section.current = section.current or item.current
        return areas

    def _layout(self, viewer: Viewer) -> list[tuple]:
        """The entries ``viewer``'s roles see, in order, as (entry, label, URL, group, group
        label): the same for everyone with those roles, so built once per process and
        language (labels translated, URLs reversed), never per request. Registering an
        entry or a group starts it afresh."""
        key = self._layout_key(viewer)
        layout = self._layouts.get(key)
        if layout is None:
            layout = []
            for entry in self.nav_entries(viewer):
                group = None if entry.area == Area.ACCOUNT else self._group_of(entry)
                group_label = str(group.label) if group else ""
                layout.append((entry, str(entry.label), self._url(entry), group, group_label))
            self._layouts[key] = layout
        return layout

    @staticmethod
    def _layout_key(viewer: Viewer) -> tuple:
        return (viewer.roles, get_language(), get_script_prefix())

    # Rendered bars kept per process; past this many the store starts afresh (a few
    # hundred in practice: role sets × pages × badge counts, a few KB each).
    BAR_HTML_LIMIT = 1000

    def bar_html(self, viewer: Viewer, *, view_name: str, query) -> tuple[str, str]:
        """The bar's HTML: the area menus (``components/nav_menu.html`` each) and the
        right-hand links (``components/nav_item.html`` each), as ``base.html`` shows them.
        What it depends on is the layout (roles, language, URL prefix), which links are
        current and the badge counts, so it is rendered once per process for each of
        those and then read from memory (~1 ms of CPU a page otherwise)."""
        layout = self._layout(viewer)
        entries = [row[0] for row in layout]
        current = frozenset(self._current_keys(entries, view_name, query))
        badges = tuple(getattr(viewer, e.badge) for e in entries if e.badge)
        key = (self._layout_key(viewer), current, badges)
        html = self._bar_html.get(key)
        if html is None:
            bar = self.menus(viewer, view_name=view_name, query=query)
            menu = get_template("components/nav_menu.html")
            item = get_template("components/nav_item.html")
            html = (
                mark_safe("".join(menu.render({"menu": m}) for m in bar["menus"])),
                mark_safe("".join(item.render({"item": i}) for i in bar["account"])),
            )
            if len(self._bar_html) >= self.BAR_HTML_LIMIT:
                self._bar_html.clear()
            self._bar_html[key] = html
        return html

    def clear_rendered(self) -> None:
        """Forget the rendered bars (a template changed under the development server)."""
        self._bar_html.clear()

    def menus(self, viewer: Viewer, *, view_name: str, query) -> dict[str, list[NavItem]]:
        """What the bar renders: ``menus``, one per area the viewer has ("My work", "My
        team", "HR"), each a NavItem whose children are its sections; ``account``, the
        right-hand links."""
        areas = self.navigation(viewer, view_name=view_name, query=query)
        menus = [
            NavItem(
                key=f"area-{area.value}",
                label=str(area.label),
                current=any(section.current for section in areas[area]),
                children=areas[area],
            )
            for area in (Area.MY, Area.TEAM, Area.HR)
            if areas[area]
        ]
        return {"menus": menus, "account": areas[Area.ACCOUNT]}

    @staticmethod
    def _url(entry: NavEntry) -> str:
        url = reverse(entry.url_name)
        return f"{url}?{entry.query}" if entry.query else url

    @staticmethod
    def _current_keys(entries: list[NavEntry], view_name: str, query) -> set[str]:
        on_page = [e for e in entries if view_name in (e.current_on or (e.url_name,))]
        with_query = [
            e for e in on_page if e.query and all(query.get(k) == v for k, v in e.query_items)
        ]
        taken = {e.url_name for e in with_query}
        plain = [e for e in on_page if not e.query and e.url_name not in taken]
        return {e.key for e in with_query + plain}

    def cycle_actions(self, viewer: Viewer, cycle, place: Place) -> list[dict]:
        """The actions at ``place`` for ``cycle`` that ``viewer`` may use, in order, as
        ``{"key", "label", "url", "phases"}``."""
        actions = sorted(self._actions.values(), key=lambda a: (a.order, a.key))
        return [
            {"key": a.key, "label": a.label, "url": a.url(cycle), "phases": a.phases}
            for a in actions
            if a.place == place
            and viewer.has_any(a.roles)
            and (place == Place.TIMELINE or cycle.phase in a.phases)
        ]

    def exports(self, viewer: Viewer) -> list[Export]:
        return [e for e in self._exports.values() if viewer.has_any(e.roles)]

    def todos(self, viewer: Viewer, *, audience: str = "person") -> list:
        return [todo for provider in self._todo_providers[audience] for todo in provider(viewer)]

    def health(self, cycle, *, today) -> list[Health]:
        """Every stage's health lines for ``cycle``, in registration (stage) order."""
        return [
            line for provider in self._health_providers for line in provider(cycle, today=today)
        ]

    def checkin_panels(self, participation: Participation, viewer: Viewer) -> list[CheckinPanel]:
        """Every stage's panels for ``participation``'s check-in pages, in order."""
        panels = [
            panel
            for provider in self._checkin_panels.values()
            for panel in provider(participation, viewer)
        ]
        return sorted(panels, key=lambda panel: (panel.order, panel.key))

    def removal_blockers(self, participation: Participation) -> list[str]:
        """Every stage's reasons why ``participation`` may not be deleted."""
        return [reason for g in self._guards.values() for reason in g.guard(participation)]

    def removal_cleanups(self, participation: Participation, actor) -> dict[str, dict]:
        """Run each stage's cleanup of untouched rows; what each removed, by stage."""
        removed = {}
        for guard in self._guards.values():
            if guard.cleanup is not None:
                done = guard.cleanup(participation, actor)
                if done:
                    removed[guard.stage] = done
        return removed


registry = StageRegistry()

# The module-level API stages call from AppConfig.ready().
register_nav_group = registry.register_nav_group
register_nav = registry.register_nav
register_cycle_action = registry.register_cycle_action
register_export = registry.register_export
register_todo_provider = registry.register_todo_provider
register_removal_guard = registry.register_removal_guard
register_health_provider = registry.register_health_provider
register_checkin_panel = registry.register_checkin_panel
