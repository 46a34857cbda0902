/* PerfCycle's page behaviour that every page shares, in plain JavaScript.
 *
 * Confirmations: a form, or a submit button, with data-confirm="Question?" asks the question
 * before it submits, and submits nothing if the answer is Cancel. (Instead of inline
 * onsubmit="return confirm(...)" handlers, which the Content-Security-Policy forbids.)
 *
 * Scrolling tables: a .table-responsive wrapper that scrolls (a wide table on a phone, a long
 * one in a box of its own) can be reached and scrolled with the keyboard: it becomes a
 * focusable region named after its table's caption or its card's heading.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var asker = button && button.hasAttribute("data-confirm") ? button : event.target;
    var question = asker.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

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
