/* Choosing people on the cycle's participant pages, in plain JavaScript (the pages work
 * without it: type an employee number, tick rows one by one).
 *
 * 1. A text field with data-person-search="URL" suggests people as HR types a name: the
 *    server's matches fill the field's <datalist> (value: the employee number).
 * 2. A checkbox with data-select-all="NAME" ticks or clears every row checkbox with
 *    data-row-check="NAME"; an element with data-selected-count="NAME" says how many are
 *    ticked (its data-none / data-some texts, "{n}" being the number).
 */
(function () {
  "use strict";

  document.querySelectorAll("input[data-person-search]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.dataset.personSearch;
    var timer = null;
    var asked = "";
    if (!list || !url) {
      return;
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var text = input.value.trim();
        if (text.length < 2 || text === asked) {
          return;
        }
        asked = text;
        fetch(url + "?q=" + encodeURIComponent(text), {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            if (asked !== text) {
              return;
            }
            list.replaceChildren();
            data.results.forEach(function (person) {
              var option = document.createElement("option");
              option.value = person.value;
              option.label = person.label;
              option.textContent = person.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* no suggestions: typing a number still works */ });
      }, 200);
    });
  });

  function rows(name) {
    return document.querySelectorAll('input[type="checkbox"][data-row-check="' + name + '"]');
  }

  function updateCount(name) {
    var ticked = Array.prototype.filter.call(rows(name), function (box) { return box.checked; });
    document.querySelectorAll('[data-selected-count="' + name + '"]').forEach(function (el) {
      var text = ticked.length ? el.dataset.some : el.dataset.none;
      el.textContent = (text || "").replace("{n}", String(ticked.length));
    });
    document.querySelectorAll('input[data-select-all="' + name + '"]').forEach(function (all) {
      all.checked = ticked.length > 0 && ticked.length === rows(name).length;
      all.indeterminate = ticked.length > 0 && ticked.length < rows(name).length;
    });
  }

  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var name = all.dataset.selectAll;
    var wrapper = all.closest("[data-select-all-wrapper]");
    if (wrapper) {
      wrapper.hidden = false;
    }
    all.addEventListener("change", function () {
      rows(name).forEach(function (box) { box.checked = all.checked; });
      updateCount(name);
    });
    rows(name).forEach(function (box) {
      box.addEventListener("change", function () { updateCount(name); });
    });
    updateCount(name);
  });
})();
