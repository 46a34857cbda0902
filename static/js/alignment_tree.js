/* The alignment tree: "Expand all" / "Collapse all" buttons open or close every branch.
 * The buttons stay hidden without JavaScript; the tree works without them. */
(function () {
  "use strict";
  document.querySelectorAll("[data-tree-toggle]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.dataset.treeToggle === "open";
      document.querySelectorAll(".pc-tree details").forEach(function (d) { d.open = open; });
    });
  });
})();
