/* PerfCycle's page behaviour that every page shares, in plain JavaScript.
 *
 * Confirmations: a form, or a submit button, with data-confirm="Question?" asks the question
 * before it submits, and submits nothing if the answer is Cancel. (Instead of inline
 * onsubmit="return confirm(...)" handlers, which the Content-Security-Policy forbids.)
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
})();
