/* Pipeline pages: drag a board card onto another column (the Move form stays the way without a mouse),
   and fold the attainment tree. No inline scripts: the Content-Security-Policy forbids them. */
(function () {
  "use strict";
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) { return; }
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.opportunity);
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    document.querySelectorAll(".board-col.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
    dragged = null;
  });
  document.addEventListener("dragover", function (event) {
    var col = event.target.closest && event.target.closest(".board-col");
    if (!col || !dragged) { return; }
    event.preventDefault();
    document.querySelectorAll(".board-col.drop-target").forEach(function (c) { if (c !== col) { c.classList.remove("drop-target"); } });
    col.classList.add("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var col = event.target.closest && event.target.closest(".board-col");
    if (!col || !dragged) { return; }
    event.preventDefault();
    var form = dragged.querySelector(".move-form");
    var select = form && form.querySelector("select[name=stage]");
    if (!select || select.value === col.dataset.stage) { return; }
    select.value = col.dataset.stage;
    form.requestSubmit();
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".tree-toggle");
    if (!toggle) { return; }
    var row = toggle.closest("tr");
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    var table = row.closest("table");
    var hide = function (parentId, collapse) {
      table.querySelectorAll('tr[data-parent="' + parentId + '"]').forEach(function (child) {
        child.classList.toggle("collapsed", collapse);
        var t = child.querySelector(".tree-toggle");
        if (collapse || (t && t.getAttribute("aria-expanded") === "true")) { hide(child.dataset.node, collapse); }
      });
    };
    hide(row.dataset.node, !open);
  });
})();
