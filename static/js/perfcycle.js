/* PerfCycle's page behaviour that every page shares, in plain JavaScript.
 *
 * Confirmations: a form, or a submit button, with data-confirm="Question?" asks the question
 * before it submits, and submits nothing if the answer is Cancel. (Instead of inline
 * onsubmit="return confirm(...)" handlers, which the Content-Security-Policy forbids.)
 * The question comes only once the form is valid: the form's own checks (required, type,
 * min/max...) run first, even under novalidate, and an invalid field gets its message next
 * to it, focus moves to it, and nothing is asked or sent. A button whose action needs more
 * than the form always does names those fields: data-requires="confidence other" makes them
 * required for that button only (the server checks the same, and still has the last word).
 * A field's data-required-message replaces the browser's "Please fill in this field".
 *
 * Scrolling tables: a .table-responsive wrapper that scrolls (a wide table on a phone, a long
 * one in a box of its own) can be reached and scrolled with the keyboard: it becomes a
 * focusable region named after its table's caption or its card's heading.
 */
(function () {
  "use strict";

  var CLIENT_ERROR = "data-client-error";

  function fieldsNamed(form, names) {
    var found = [];
    names.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field) return;
      if (typeof field.length === "number" && !field.tagName) {
        Array.prototype.forEach.call(field, function (item) { found.push(item); });
      } else {
        found.push(field);
      }
    });
    return found;
  }

  /* The fields that fail the form's own checks, with those this button needs required. */
  function invalidFields(form, button) {
    var names = ((button && button.getAttribute("data-requires")) || "").split(/\s+/);
    var added = fieldsNamed(form, names.filter(Boolean)).filter(function (field) {
      return !field.required;
    });
    added.forEach(function (field) { field.required = true; });
    var invalid = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.willValidate && !field.validity.valid) invalid.push(field);
    });
    invalid = invalid.map(function (field) {
      return { field: field, message: messageOf(field) };
    });
    added.forEach(function (field) { field.required = false; });
    return invalid;
  }

  function messageOf(field) {
    var custom = field.validity.valueMissing && field.getAttribute("data-required-message");
    if (!custom && field.type === "radio") {
      var group = field.closest("fieldset");
      custom = field.validity.valueMissing && group && group.getAttribute("data-required-message");
    }
    return custom || field.validationMessage;
  }

  function containerOf(form, field) {
    return (
      form.querySelector("#div_id_" + CSS.escape(field.name)) ||
      field.closest(".mb-3, fieldset") ||
      field.parentNode
    );
  }

  function clearErrors(form, name) {
    form.querySelectorAll("[" + CLIENT_ERROR + "]").forEach(function (note) {
      if (name && note.getAttribute(CLIENT_ERROR) !== name) return;
      fieldsNamed(form, [note.getAttribute(CLIENT_ERROR)]).forEach(function (field) {
        field.classList.remove("is-invalid");
        field.removeAttribute("aria-invalid");
        var described = (field.getAttribute("aria-describedby") || "")
          .split(/\s+/)
          .filter(function (id) { return id && id !== note.id; });
        if (described.length) field.setAttribute("aria-describedby", described.join(" "));
        else field.removeAttribute("aria-describedby");
      });
      note.remove();
    });
  }

  function showErrors(form, invalid) {
    var shown = {};
    invalid.forEach(function (item) {
      var field = item.field;
      if (shown[field.name]) return;
      shown[field.name] = true;
      var note = document.createElement("div");
      note.className = "invalid-feedback d-block";
      note.id = "client_error_" + field.name;
      note.setAttribute(CLIENT_ERROR, field.name);
      note.textContent = item.message;
      containerOf(form, field).appendChild(note);
      fieldsNamed(form, [field.name]).forEach(function (each) {
        each.classList.add("is-invalid");
        each.setAttribute("aria-invalid", "true");
        var described = each.getAttribute("aria-describedby");
        each.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
      });
    });
    invalid[0].field.focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var asker = button && button.hasAttribute("data-confirm") ? button : form;
    var question = asker.getAttribute("data-confirm");
    if (!question) return;
    clearErrors(form);
    var invalid = button && button.formNoValidate ? [] : invalidFields(form, button);
    if (invalid.length) {
      event.preventDefault();
      showErrors(form, invalid);
      return;
    }
    if (!window.confirm(question)) {
      event.preventDefault();
    }
  });

  /* A message written here goes as soon as its field is put right. */
  function recheck(event) {
    var field = event.target;
    var form = field.form;
    if (!form || !field.name) return;
    if (!form.querySelector("[" + CLIENT_ERROR + '="' + CSS.escape(field.name) + '"]')) return;
    var filled = fieldsNamed(form, [field.name]).some(function (each) {
      return each.type === "radio" || each.type === "checkbox" ? each.checked : each.value !== "";
    });
    if (filled && field.validity.valid) clearErrors(form, field.name);
  }
  document.addEventListener("input", recheck);
  document.addEventListener("change", recheck);

  function labelOf(wrapper) {
    var caption = wrapper.querySelector("caption");
    var card = wrapper.closest("section, .card");
    var heading = card && card.querySelector("h1, h2, h3, h4");
    return ((caption || heading || {}).textContent || "").trim();
  }

  function markScrollers() {
    document.querySelectorAll(".table-responsive").forEach(function (wrapper) {
      var scrolls =
        wrapper.scrollWidth > wrapper.clientWidth + 1 ||
        wrapper.scrollHeight > wrapper.clientHeight + 1;
      if (scrolls) {
        wrapper.setAttribute("tabindex", "0");
        wrapper.setAttribute("role", "region");
        if (!wrapper.hasAttribute("aria-label") && labelOf(wrapper)) {
          wrapper.setAttribute("aria-label", labelOf(wrapper));
        }
      } else if (wrapper.getAttribute("role") === "region") {
        wrapper.removeAttribute("tabindex");
        wrapper.removeAttribute("role");
      }
    });
  }

  markScrollers();
  window.addEventListener("resize", markScrollers);
})();
