/* Small behaviours the pages need; no inline scripts (the Content-Security-Policy forbids them). */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-nav]");
    if (toggle) {
      document.querySelector(".shell").classList.toggle("nav-open");
      return;
    }
    // An autocomplete pick fills the hidden input named by the widget and shows the label.
    var pick = event.target.closest("[data-pick-value]");
    if (pick) {
      event.preventDefault();
      var widget = pick.closest("[data-autocomplete]");
      widget.querySelector("input[type=hidden]").value = pick.dataset.pickValue;
      widget.querySelector("input[type=search]").value = pick.dataset.pickLabel;
      widget.querySelector(".ac-results").innerHTML = "";
      return;
    }
    var clear = event.target.closest("[data-clear-pick]");
    if (clear) {
      var w = clear.closest("[data-autocomplete]");
      w.querySelector("input[type=hidden]").value = "";
      w.querySelector("input[type=search]").value = "";
    }
    // Close open result lists when clicking elsewhere.
    document.querySelectorAll(".ac-results").forEach(function (list) {
      if (!list.parentElement.contains(event.target)) { list.innerHTML = ""; }
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll(".ac-results").forEach(function (list) { list.innerHTML = ""; });
    }
    // "/" focuses the global search, as in most web apps.
    if (event.key === "/" && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
      var box = document.getElementById("global-search");
      if (box) { event.preventDefault(); box.focus(); }
    }
  });

  // Confirm destructive actions before the form is sent.
  document.addEventListener("submit", function (event) {
    var message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  function drawCharts(root) {
    if (!window.Chart) { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      var spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
      new window.Chart(canvas, {
        type: spec.type || "bar",
        data: { labels: spec.labels, datasets: spec.datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
          scales: spec.stacked ? { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } : {}
        }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
