/* Client pages: follow the system colour scheme, keep relative dates true, print cleanly. */
(function () {
  "use strict";

  var dark = window.matchMedia("(prefers-color-scheme: dark)");
  function applyScheme() {
    document.body.setAttribute("data-md-color-scheme", dark.matches ? "slate" : "default");
  }

  var DAY = 86400000;
  function localDay(text) {
    var parts = text.split("-").map(Number);
    return Date.UTC(parts[0], parts[1] - 1, parts[2]);
  }
  function today() {
    var now = new Date();
    return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  }

  /* A page built days ago still says "due in 2 days" correctly: recompute from the viewer's clock. */
  function refreshRelativeDates(root) {
    if (!window.Intl || !Intl.RelativeTimeFormat) return;
    var format = new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" });
    root.querySelectorAll("time[data-relative]").forEach(function (el) {
      var days = Math.round((localDay(el.getAttribute("datetime")) - today()) / DAY);
      el.textContent = format.format(days, "day");
    });
  }

  /* Print the whole report: open every collapsed section, then restore. */
  function openForPrint(root) {
    var closed = [];
    window.addEventListener("beforeprint", function () {
      root.querySelectorAll("details:not([open])").forEach(function (el) {
        closed.push(el);
        el.open = true;
      });
    });
    window.addEventListener("afterprint", function () {
      closed.forEach(function (el) { el.open = false; });
      closed = [];
    });
  }

  function enhance(root) {
    refreshRelativeDates(root);
    openForPrint(root);
  }

  window.clientPortal = { enhance: enhance };
  applyScheme();
  if (dark.addEventListener) dark.addEventListener("change", applyScheme);
  var content = document.getElementById("cp-content");
  if (content && !content.hasAttribute("data-encrypted")) enhance(content);
})();
