/* K-Data Catalog: small progressive enhancements (no framework, no outside code).
 * - forms with data-confirm ask before submitting (join, leave, approve, eliminate …);
 * - <time data-countdown> counts down to its datetime (joint-purchase deadlines);
 * - buttons with data-copy copy the text of the element with that id.
 * Without JavaScript every page still works: the server renders the same information. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function renderCountdown(el) {
    var end = Date.parse(el.getAttribute("datetime"));
    if (isNaN(end)) { return false; }
    var left = Math.floor((end - Date.now()) / 1000);
    if (left <= 0) {
      el.textContent = el.getAttribute("data-ended") || "—";
      el.classList.add("ended");
      return false;
    }
    var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
    var m = Math.floor((left % 3600) / 60), s = left % 60;
    var u = function (k) { return el.getAttribute("data-unit-" + k) || k; };
    var parts = [];
    if (d) { parts.push(d + u("d")); }
    if (d || h) { parts.push(h + u("h")); }
    parts.push(pad(m) + u("m"));
    if (!d) { parts.push(pad(s) + u("s")); }
    el.textContent = parts.join(" ") + " " + (el.getAttribute("data-suffix") || "");
    return true;
  }

  function tick() {
    var els = document.querySelectorAll("time[data-countdown]");
    for (var i = 0; i < els.length; i++) { renderCountdown(els[i]); }
  }

  document.addEventListener("click", function (event) {
    var btn = event.target.closest && event.target.closest("[data-copy]");
    if (!btn) { return; }
    var source = document.getElementById(btn.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.textContent;
    var done = function () {
      var before = btn.textContent;
      btn.textContent = btn.getAttribute("data-copied") || "✓";
      window.setTimeout(function () { btn.textContent = before; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("time[data-countdown]")) {
      tick();
      window.setInterval(tick, 1000);
    }
  });
})();
