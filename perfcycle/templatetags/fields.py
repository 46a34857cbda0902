"""``{{ form.field|as_field }}``: crispy-forms' bootstrap5 field (``|as_crispy_field``),
the same HTML byte for byte, written in Python.

{% load fields %}
{{ form.date|as_field }}

crispy renders each field through its field template and four includes, and Django then
renders the widget through its own templates (one include per attribute list, one per
``<option>``): 0.3–0.6 ms a field, 3–6 ms for a form of ten fields on a page people use
daily. Here the same markup is put together from the bound field's own figures (label,
required, help text, errors, the widget's context from Django), so every rule Django and
crispy apply (``required``, ``aria-invalid``, ``aria-describedby``, the CSS classes crispy
adds to the widget, the value as the widget formats it) still comes from them.

It covers the fields the daily pages show: text-like inputs (text, number, e-mail, URL,
date, time), text areas and single selects, with a label and without a form helper. Any
other field (a checkbox, radio buttons, a file, a multi-widget, a hidden field, a form with
a crispy helper, a custom widget template) is rendered by crispy itself, so the filter is
safe on any field. tests/perfcycle/test_fields.py compares the two on every case.
"""

from django import forms, template
from django.conf import settings
from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Django's own templates of the widgets rendered here (a subclass that names another
# template, or a project renderer with other templates, goes to crispy).
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "number", "email", "url", "date", "time", "datetime")
)
_TEXTAREA = "django/forms/widgets/textarea.html"
_SELECT = "django/forms/widgets/select.html"
_OPTION = "django/forms/widgets/select_option.html"
_OTHER_WIDGETS = (
    forms.CheckboxInput,
    forms.RadioSelect,
    forms.CheckboxSelectMultiple,
    forms.SelectMultiple,
    forms.FileInput,
    forms.MultiWidget,
    forms.HiddenInput,
    forms.PasswordInput,
)

# crispy's bootstrap5 field.html, as it renders for these fields (its blank lines and
# indentation included, so that the page is the same to the byte).
_OPEN = '\n\n\n    \n    <div id="div_{auto_id}" class="mb-3{css}">\n        \n            \n'
_LABEL = (
    '            <label\n                for="{for_id}" class="form-label{required}">\n'
    "                {label}{asterisk}\n            </label>\n"
)
_BEFORE_WIDGET = (
    "        \n\n        \n\n        \n            \n                \n                    \n"
)
_INPUT = "                        {widget}\n                    \n"
_SELECT_FIELD = (
    "                        \n                            {widget}\n"
    "                        \n                    \n                    \n"
)
_INPUT_GAP = "                    \n"
_BEFORE_ERRORS = "                        \n\n\n    \n"
_ERRORS_OPEN = '    <div id="{field_id}_error" class="invalid-feedback">\n    \n'
_ERROR = '        <p id="error_{number}_{auto_id}"><strong>{error}</strong></p>\n    \n'
_ERRORS_CLOSE = "    </div>\n\n"
_BEFORE_HELP = "\n\n\n\n    \n"
_HELP = '    \n        <div id="{auto_id}_helptext" class="form-text">{help}</div>\n    \n\n\n\n\n'
_NO_HELP = "\n\n\n"
_CLOSE = (
    "                    \n                \n            \n        \n        \n    </div>\n    \n\n"
)


def rendered_here(field: BoundField) -> bool:
    widget = field.field.widget
    return (
        getattr(field.form, "helper", None) is None
        and bool(field.auto_id)
        and bool(field.label)
        and not field.use_fieldset
        and not isinstance(widget, _OTHER_WIDGETS)
        and (
            widget.template_name in _INPUT_TEMPLATES
            or widget.template_name == _TEXTAREA
            or (
                isinstance(widget, forms.Select)
                and widget.template_name == _SELECT
                and widget.option_template_name == _OPTION
            )
        )
        and getattr(settings, "CRISPY_CLASS_CONVERTERS", None) is None
    )


def _add_classes(widget, extra: str) -> None:
    """What crispy's ``{% crispy_field %}`` does to the widget: its class name in
    lower case, then bootstrap's classes, added to the widget's own (kept there, as crispy
    leaves them)."""
    name = widget.__class__.__name__.lower()
    css = widget.attrs.get("class", "")
    if css:
        if css.find(name) == -1:
            css += f" {name}"
    else:
        css = name
    for word in extra.split():
        if word not in css.split():
            css += f" {word}"
    widget.attrs["class"] = css


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _widget_html(field: BoundField) -> str:
    """The widget as ``str(field)`` renders it (Django's widget templates, in Python)."""
    widget = field.field.widget
    if field.field.localize:
        widget.is_localized = True
    attrs = field.build_widget_attrs({}, widget)
    if "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    name = conditional_escape(context["name"])
    attributes = _attrs(context["attrs"])
    if widget.template_name == _TEXTAREA:
        value = context["value"]
        return f'<textarea name="{name}"{attributes}>\n{conditional_escape(value) if value else ""}</textarea>'
    if isinstance(widget, forms.Select):
        parts = [f'<select name="{name}"{attributes}>']
        for group_name, options, _index in context["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{escape(option["value"])}"{_attrs(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)
    value = context["value"]
    shown = "" if value is None else f' value="{escape(value)}"'
    return f'<input type="{conditional_escape(context["type"])}" name="{name}"{shown}{attributes}>'


@register.filter
def as_field(field) -> SafeString:
    """The field as ``{{ field|as_crispy_field }}`` renders it."""
    if not isinstance(field, BoundField) or not rendered_here(field):
        from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

        return as_crispy_field(field)
    widget = field.field.widget
    errors = field.errors
    is_select = isinstance(widget, forms.Select)
    base = "form-select" if is_select else "form-control"
    _add_classes(widget, f"{base} is-invalid" if errors else base)
    auto_id = field.auto_id
    required = field.field.required
    css = field.css_classes()
    parts = [
        _OPEN.format(auto_id=auto_id, css=f" {css}" if css else ""),
        _LABEL.format(
            for_id=field.id_for_label,
            required=" requiredField" if required else "",
            label=conditional_escape(field.label),
            asterisk='<span class="asteriskField">*</span>' if required else "",
        ),
        _BEFORE_WIDGET,
    ]
    widget_html = _widget_html(field)
    if is_select:
        parts.append(_SELECT_FIELD.format(widget=widget_html))
    else:
        parts.append(_INPUT.format(widget=widget_html))
        parts.append(_INPUT_GAP)
    parts.append(_BEFORE_ERRORS)
    if errors:
        parts.append(_ERRORS_OPEN.format(field_id=errors.field_id))
        for number, error in enumerate(errors, start=1):
            parts.append(
                _ERROR.format(number=number, auto_id=auto_id, error=conditional_escape(error))
            )
        parts.append(_ERRORS_CLOSE)
    parts.append(_BEFORE_HELP)
    if field.help_text:
        parts.append(_HELP.format(auto_id=auto_id, help=field.help_text))
    else:
        parts.append(_NO_HELP)
    parts.append(_CLOSE)
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped as the templates do)
