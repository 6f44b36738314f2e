/* K-Data Catalog: small progressive enhancements (no framework, no outside code).
 * - forms with data-confirm ask before submitting (join, leave, approve, eliminate …);
 * - <time data-countdown> counts down to its datetime (joint-purchase deadlines);
 * - buttons with data-copy copy the text of the element with that id.
 * Without JavaScript every page still works: the server renders the same information. */
(function () {
  "use strict";

  // Styles that only make sense with this script (the "apply" button hides) key on .js.
  document.documentElement.classList.add("js");

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

  // Catalogue filters apply as soon as they change; without JavaScript the form's
  // "apply" button sends the same GET request. The changed box gets the focus back.
  var FOCUS_KEY = "kdc-focus";
  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input && input.form;
    if (!form || !form.hasAttribute("data-autosubmit") || input.type === "search") { return; }
    try {
      window.sessionStorage.setItem(FOCUS_KEY, input.name + "=" + input.value);
    } catch (e) { /* storage may be off: the page still reloads */ }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });

  function restoreFocus() {
    var wanted = null;
    try {
      wanted = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
    } catch (e) { return; }
    if (!wanted) { return; }
    var cut = wanted.indexOf("=");
    var name = wanted.slice(0, cut), value = wanted.slice(cut + 1);
    var fields = document.querySelectorAll("form[data-autosubmit] [name]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].name === name && (fields[i].tagName === "SELECT" || fields[i].value === value)) {
        fields[i].focus();
        return;
      }
    }
  }

  // The filter drawer is open beside the results on wide screens and folded below the
  // search box on phones (or when the reader closes it).
  var WIDE = window.matchMedia ? window.matchMedia("(min-width: 801px)") : null;
  function placeDrawers() {
    var drawers = document.querySelectorAll("details[data-drawer]");
    for (var i = 0; i < drawers.length; i++) {
      if (!WIDE || WIDE.matches) { drawers[i].open = true; }
    }
  }

  // Narrow screens show table rows as cards: each cell is labelled with its column's
  // heading (CSS prints data-label before the cell).
  function labelCells() {
    var tables = document.querySelectorAll("table");
    for (var t = 0; t < tables.length; t++) {
      var heads = tables[t].querySelectorAll("thead th");
      if (!heads.length) { continue; }
      var rows = tables[t].querySelectorAll("tbody tr");
      for (var r = 0; r < rows.length; r++) {
        var cells = rows[r].children;
        for (var c = 0, col = 0; c < cells.length; c++) {
          var head = heads[col];
          if (head && !cells[c].hasAttribute("data-label")) {
            cells[c].setAttribute("data-label", head.textContent.trim());
          }
          col += cells[c].colSpan || 1;
        }
      }
    }
  }

  document.addEventListener("kdc:content", labelCells);

  document.addEventListener("DOMContentLoaded", function () {
    placeDrawers();
    labelCells();
    restoreFocus();
    if (document.querySelector("time[data-countdown]")) {
      tick();
      window.setInterval(tick, 1000);
    }
  });
})();
