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

  // The dataset's web address name follows its English title until the provider edits it.
  function slugify(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 100).replace(/-+$/, "");
  }
  function wireSlugs() {
    var slugs = document.querySelectorAll("input[data-slug-from]");
    for (var i = 0; i < slugs.length; i++) {
      (function (slug) {
        var source = document.getElementById(slug.getAttribute("data-slug-from"));
        if (!source) { return; }
        var auto = !slug.value || slug.value === slugify(source.value);
        slug.addEventListener("input", function () { auto = !slug.value; });
        source.addEventListener("input", function () {
          if (auto) { slug.value = slugify(source.value); }
        });
      })(slugs[i]);
    }
  }

  // Under a price in won, the same amount in 억 and 만 (or in millions in English).
  function krwWords(value, korean) {
    var n = parseInt(String(value).replace(/[^0-9]/g, ""), 10);
    if (!n) { return ""; }
    if (!korean) {
      if (n >= 1e9) { return "≈ " + (n / 1e9).toLocaleString("en", {maximumFractionDigits: 3}) + " billion won"; }
      if (n >= 1e6) { return "≈ " + (n / 1e6).toLocaleString("en", {maximumFractionDigits: 3}) + " million won"; }
      return n.toLocaleString("en") + " won";
    }
    var eok = Math.floor(n / 1e8), man = Math.floor((n % 1e8) / 1e4), won = n % 1e4;
    var parts = [];
    if (eok) { parts.push(eok.toLocaleString("ko") + "억"); }
    if (man) { parts.push(man.toLocaleString("ko") + "만"); }
    if (won) { parts.push(won.toLocaleString("ko")); }
    return "= " + parts.join(" ") + " 원";
  }
  function wirePrices() {
    var korean = (document.documentElement.lang || "ko").indexOf("ko") === 0;
    var inputs = document.querySelectorAll("input[data-krw-words]");
    for (var i = 0; i < inputs.length; i++) {
      (function (input) {
        var out = document.createElement("p");
        out.className = "hint krw-words";
        out.id = input.id + "-words";
        out.setAttribute("aria-live", "polite");
        input.insertAdjacentElement("afterend", out);
        var show = function () { out.textContent = krwWords(input.value, korean); };
        input.addEventListener("input", show);
        show();
      })(inputs[i]);
    }
  }

  // A joint offer's team counts and joining window show only when "joint" is chosen.
  function wireJointFields() {
    var boxes = document.querySelectorAll("[data-joint-only]");
    for (var i = 0; i < boxes.length; i++) {
      (function (box) {
        var form = box.closest("form");
        var mode = form && form.querySelector("select[name=mode]");
        if (!mode) { return; }
        var sync = function () { box.hidden = mode.value !== "joint"; };
        mode.addEventListener("change", sync);
        sync();
      })(boxes[i]);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    placeDrawers();
    labelCells();
    wireSlugs();
    wirePrices();
    wireJointFields();
    restoreFocus();
    if (document.querySelector("time[data-countdown]")) {
      tick();
      window.setInterval(tick, 1000);
    }
  });
})();
