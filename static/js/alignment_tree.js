/* The alignment tree: each goal with contributing goals gets a toggle (aria-expanded) that
 * shows or hides them, fetching the server-rendered fragment the first time; "and N more"
 * links load the next page in place. Without JavaScript the toggles stay hidden and the
 * links open the goal on its own page. */
(function () {
  "use strict";

  function enhance(root) {
    root.querySelectorAll("[data-tree-toggle]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function fetchFragment(url) {
    return fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      });
  }

  function toggle(button) {
    var list = document.getElementById(button.getAttribute("aria-controls"));
    if (!list) { return; }
    var opening = button.getAttribute("aria-expanded") !== "true";
    var item = button.closest(".pc-tree-item");
    var fallback = item && item.querySelector(":scope > [data-collapsed]");
    if (!opening) {
      button.setAttribute("aria-expanded", "false");
      list.hidden = true;
      return;
    }
    if (list.hasAttribute("data-loaded")) {
      button.setAttribute("aria-expanded", "true");
      list.hidden = false;
      return;
    }
    button.setAttribute("aria-busy", "true");
    fetchFragment(list.dataset.childrenUrl).then(function (html) {
      list.innerHTML = html;
      list.setAttribute("data-loaded", "");
      enhance(list);
      list.hidden = false;
      if (fallback) { fallback.hidden = true; }
      button.setAttribute("aria-expanded", "true");
    }).catch(function () {
      if (fallback) { window.location.href = fallback.href; }
    }).finally(function () {
      button.removeAttribute("aria-busy");
    });
  }

  function more(link) {
    var note = link.closest("li");
    fetchFragment(link.dataset.moreUrl).then(function (html) {
      var holder = document.createElement("ul");
      holder.innerHTML = html;
      enhance(holder);
      var first = holder.querySelector(".pc-tree-item a, .pc-tree-item button:not([hidden])");
      // The fragment repeats the parent's notes ("+ N goals of other people"): keep its own.
      note.parentNode.querySelectorAll(":scope > [data-hidden]").forEach(function (old) { old.remove(); });
      while (holder.firstChild) { note.parentNode.insertBefore(holder.firstChild, note); }
      note.remove();
      if (first) { first.focus(); }
    }).catch(function () { window.location.href = link.href; });
  }

  function replace(link) {
    var list = link.closest("ul");
    fetchFragment(link.dataset.replaceUrl).then(function (html) {
      list.innerHTML = html;
      enhance(list);
      var first = list.querySelector(".pc-tree-item a");
      if (first) { first.focus(); }
    }).catch(function () { window.location.href = link.href; });
  }

  document.querySelectorAll("[data-tree]").forEach(function (tree) {
    enhance(tree);
    tree.addEventListener("click", function (event) {
      var button = event.target.closest("[data-tree-toggle]");
      if (button) { toggle(button); return; }
      var link = event.target.closest("[data-more-url]");
      if (link) { event.preventDefault(); more(link); return; }
      var all = event.target.closest("[data-replace-url]");
      if (all) { event.preventDefault(); replace(all); }
    });
  });
})();
