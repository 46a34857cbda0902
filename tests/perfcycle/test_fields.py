"""perfcycle/templatetags/fields.py: ``|as_field`` renders a field as crispy's
``|as_crispy_field`` does, to the byte: unbound, bound, with errors, with help text, for
every kind of field it renders itself; anything else is crispy's own output."""

import copy

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.template import engines

from feedback.forms.carry import ProposalForm
from feedback.forms.interviews import CancelForm, NoteForm, RecordForm, ScheduleForm
from feedback.models import RootCause
from goals.models import Indicator, RatingScale
from perfcycle.templatetags.fields import as_field, rendered_here


class Kinds(forms.Form):
    """One field of each kind, with what changes the markup: a required CSS class, help
    text with HTML in it, a label to escape, an own widget class, a disabled field,
    option groups."""

    required_css_class = "required"
    error_css_class = "has-error"
    choice = forms.ChoiceField(
        choices=[("x", "<X>"), ("Group", [("y", "Y"), ("z", "Z & z")])],
        help_text="Pick <b>one</b>.",
    )
    number = forms.IntegerField(required=False, label="Count & total")
    email = forms.EmailField(initial="a@example.com")
    text = forms.CharField(widget=forms.Textarea(attrs={"class": "mine", "rows": 2}))
    typed = forms.TypedChoiceField(choices=[(1, "one")], coerce=int, required=False, disabled=True)
    decimal = forms.DecimalField(required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    # Rendered by crispy (the filter hands them on):
    flag = forms.BooleanField(required=False)
    several = forms.MultipleChoiceField(
        choices=[("a", "A")], widget=forms.CheckboxSelectMultiple, required=False
    )
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)


def _both(field) -> tuple[str, str]:
    """crispy's and the filter's HTML of ``field``, each on its own copy of the widget
    (both add their classes to the widget's attributes)."""
    widget = field.field.widget
    field.field.widget = copy.deepcopy(widget)
    want = str(as_crispy_field(field))
    field.field.widget = copy.deepcopy(widget)
    got = str(as_field(field))
    field.field.widget = widget
    return want, got


def _assert_same(form) -> int:
    """Every field of ``form`` reads the same both ways; how many the filter rendered."""
    mine = 0
    for name in form.fields:
        want, got = _both(form[name])
        assert got == want, name
        mine += rendered_here(form[name])
    return mine


def _bound(form_class, data, **kwargs):
    form = form_class(data, **kwargs)
    form.is_valid()
    return form


def test_every_kind_of_field_reads_as_crispy_renders_it():
    """Unbound, valid and invalid, the HTML is crispy's to the byte."""
    assert _assert_same(Kinds()) == 6
    assert _assert_same(_bound(Kinds, {"choice": "q", "number": "x", "email": "bad"})) == 6
    assert _assert_same(
        _bound(Kinds, {"choice": "y", "number": "3", "email": "a@b.c", "text": "<hi>"})
    )


def test_several_errors_on_one_field_are_numbered_as_crispy_does():
    form = _bound(ScheduleForm, {"slot-date": "2026-01-01", "slot-time": "10:00"}, prefix="slot")
    form.add_error("date", "First <problem>.")
    form.add_error("date", "Second problem.")
    want, got = _both(form["date"])
    assert got == want
    assert 'id="error_2_id_slot-date"' in got
    assert "First &lt;problem&gt;." in got


def test_the_fields_crispy_renders_are_handed_to_it():
    form = Kinds()
    for name in ("flag", "several", "hidden"):
        assert not rendered_here(form[name])


@pytest.mark.django_db
def test_the_feedback_forms_read_as_before():
    """The interview's and the next-cycle goals' forms, as their pages show them: empty,
    and again with the errors of bad input."""
    RootCause.objects.get_or_create(name="Skills", defaults={"position": 1})
    scale = RatingScale.objects.create(name="Five levels")
    Indicator.objects.create(name="Revenue <EUR>", unit="EUR", scale=scale)
    for form in (
        ScheduleForm(prefix="slot"),
        _bound(
            ScheduleForm,
            {"slot-date": "x", "slot-duration_minutes": "7", "slot-video_link": "no"},
            prefix="slot",
        ),
        CancelForm(prefix="cancel"),
        _bound(CancelForm, {"cancel-reason": ""}, prefix="cancel"),
        NoteForm(prefix="notes", initial={"text": "Ask about <the move>\nand the team."}),
        _bound(NoteForm, {"notes-text": "x" * 20001}, prefix="notes"),
        RecordForm(prefix="record"),
        _bound(RecordForm, {"record-held_on": "zz", "record-deficiencies": "d"}, prefix="record"),
        ProposalForm(),
        _bound(ProposalForm, {"title": "", "weight": "abc", "indicator": "0"}),
    ):
        assert _assert_same(form)


def test_a_template_reads_the_same_with_either_filter():
    form = _bound(ScheduleForm, {"slot-date": "x"}, prefix="slot")
    django = engines["django"]
    crispy = django.from_string("{% load crispy_forms_tags %}{{ f.date|as_crispy_field }}")
    fields = django.from_string("{% load fields %}{{ f.date|as_field }}")
    assert fields.render({"f": form}) == crispy.render({"f": form})
