/* The planning library's forms, in plain JavaScript (no framework, nothing from a CDN).
 *
 * 1. Live preview of an indicator's scoring rule: as HR edits the thresholds, the sample
 *    table shows the level (and its label on the chosen scale) each result would earn.
 *    The server renders the same table, so the page works without this script.
 * 2. "Add a row" for the row tables (levels, thresholds, template items).
 * 3. Live weight totals under the template's weight tables ("90 % — 10 % missing").
 */
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;

  function number(value) {
    return value.toLocaleString(lang, { maximumFractionDigits: 2 });
  }

  function isRemoved(row) {
    var box = row.querySelector('input[name$="-DELETE"]');
    return Boolean(box && box.checked);
  }

  // --- 2. Add a row ------------------------------------------------------------------
  document.querySelectorAll("[data-formset]").forEach(function (box) {
    var prefix = box.getAttribute("data-formset");
    var button = box.querySelector("[data-add-row]");
    var blank = box.querySelector("template[data-empty-row]");
    var body = box.querySelector("tbody[data-rows]");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!button || !blank || !body || !total) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      body.insertAdjacentHTML("beforeend", blank.innerHTML.replace(/__prefix__/g, String(index)));
      total.value = String(index + 1);
      var first = body.lastElementChild.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  });

  // --- 3. Weight totals --------------------------------------------------------------
  document.querySelectorAll("[data-total-row]").forEach(function (foot) {
    var table = foot.closest("table");
    var cell = foot.querySelector("[data-total]");
    function words(key, total, gap) {
      return foot.getAttribute("data-words-" + key)
        .replace("{total}", number(total))
        .replace("{gap}", number(Math.abs(gap)));
    }
    function update() {
      var sum = 0;
      var any = false;
      table.querySelectorAll("tbody[data-rows] tr").forEach(function (row) {
        if (isRemoved(row)) return;
        row.querySelectorAll("input[data-weight]").forEach(function (input) {
          var value = parseFloat(input.value);
          if (isFinite(value)) {
            sum += value;
            any = true;
          }
        });
      });
      var gap = Math.round((100 - sum) * 100) / 100;
      foot.hidden = !any;
      cell.textContent = words(gap === 0 ? "ok" : gap > 0 ? "missing" : "over", sum, gap);
      cell.classList.toggle("text-success", gap === 0);
      cell.classList.toggle("text-danger", gap !== 0);
    }
    table.addEventListener("input", update);
    table.addEventListener("change", update);
    update();
  });

  // --- 1. Rule preview ---------------------------------------------------------------
  var rule = document.querySelector('[data-formset="thresholds"]');
  var preview = document.querySelector("[data-threshold-preview]");
  var levelsData = document.getElementById("scale-levels");
  var scale = document.getElementById("id_scale");
  if (!rule || !preview || !levelsData || !scale) return;
  var allLevels = JSON.parse(levelsData.textContent);
  var wordsBox = document.querySelector("[data-preview-words]");
  var hint = rule.querySelector("[data-scale-levels]");

  function thresholds() {
    var found = [];
    rule.querySelectorAll("tbody[data-rows] tr").forEach(function (row) {
      if (isRemoved(row)) return;
      var from = row.querySelector('input[name$="-min_achievement"]');
      var level = row.querySelector('input[name$="-level_value"]');
      var start = from ? parseFloat(from.value) : NaN;
      var value = level ? parseInt(level.value, 10) : NaN;
      if (isFinite(start) && isFinite(value)) found.push({ start: start, level: value });
    });
    return found.sort(function (a, b) { return a.start - b.start; });
  }

  function showScale(levels) {
    if (!hint) return;
    hint.replaceChildren();
    levels.forEach(function (pair) {
      var badge = document.createElement("span");
      badge.className = "badge text-bg-light border me-1";
      badge.textContent = pair[0] + " " + pair[1];
      hint.appendChild(badge);
    });
  }

  function update() {
    var levels = allLevels[scale.value] || [];
    var labels = {};
    levels.forEach(function (pair) { labels[pair[0]] = pair[1]; });
    showScale(levels);
    var steps = thresholds();
    preview.querySelectorAll("tbody tr[data-achievement]").forEach(function (row) {
      var achievement = parseFloat(row.getAttribute("data-achievement"));
      var level = null;
      steps.forEach(function (step) {
        if (achievement >= step.start) level = step.level;
      });
      var levelCell = row.querySelector("[data-preview-level]");
      var labelCell = row.querySelector("[data-preview-label]");
      var known = level !== null && Object.prototype.hasOwnProperty.call(labels, level);
      levelCell.textContent = level === null ? "—" : String(level);
      labelCell.textContent = level === null
        ? wordsBox.getAttribute("data-no-rating")
        : known ? labels[level] : wordsBox.getAttribute("data-not-a-level");
      labelCell.classList.toggle("text-danger", level === null || !known);
    });
  }

  rule.addEventListener("input", update);
  rule.addEventListener("change", update);
  scale.addEventListener("change", update);
  update();
})();
