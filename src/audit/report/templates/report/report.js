// cicd-audit report: table of contents, sortable and filterable tables. Offline, no library, no
// network; it only rearranges what the page already shows (every value was escaped when written).
(function () {
  "use strict";
  function slug(text, used) {
    var base = text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "section";
    var id = base, n = 2;
    while (used[id]) { id = base + "-" + n++; }
    used[id] = true;
    return id;
  }
  function contents() {
    var heads = document.querySelectorAll("main.report h2");
    if (heads.length < 3) { return; }
    var used = {}, nav = document.createElement("nav"), list = document.createElement("ol");
    nav.className = "toc";
    nav.setAttribute("aria-label", "Contents");
    var title = document.createElement("div");
    title.className = "toc-title";
    title.textContent = "Contents";
    nav.appendChild(title);
    heads.forEach(function (h, i) {
      h.id = h.id || slug(h.textContent, used);
      if (i === 0) { h.classList.add("first-section"); }
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = "#" + h.id;
      link.textContent = h.textContent.replace(/¶$/, "");
      item.appendChild(link);
      list.appendChild(item);
    });
    nav.appendChild(list);
    var h1 = document.querySelector("main.report h1");
    var anchor = h1 ? h1.closest("section") || h1 : null;
    if (anchor && anchor.parentNode) { anchor.parentNode.insertBefore(nav, anchor.nextSibling); }
  }
  // "1,234" "14%" "7.8 h" "3 → 5" sort as numbers; "unknown" and "—" sort last
  function key(text) {
    var t = text.trim();
    if (t === "" || t === "unknown" || t === "—") { return null; }
    var m = t.replace(/,/g, "").match(/^[+−-]?\d+(\.\d+)?/);
    return m ? parseFloat(m[0].replace("−", "-")) : t.toLowerCase();
  }
  function compare(a, b) {
    if (a === null) { return b === null ? 0 : 1; }
    if (b === null) { return -1; }
    if (typeof a === typeof b) { return a < b ? -1 : a > b ? 1 : 0; }
    return typeof a === "number" ? -1 : 1;
  }
  function sortable(table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 2) { return; }
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.classList.add("sortable");
      th.tabIndex = 0;
      th.title = "sort by this column";
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        function cell(r) { return key(r.cells[col] ? r.cells[col].textContent : ""); }
        rows.sort(function (r1, r2) {
          var a = cell(r1), b = cell(r2);
          return a === null || b === null ? compare(a, b) : compare(a, b) * dir;  // unknown last either way
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  }
  function filterable(table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length <= 8) { return; }
    var wrap = table.closest(".audit-table-wrap") || table;
    var box = document.createElement("div"), input = document.createElement("input"), count = document.createElement("span");
    box.className = "table-filter";
    input.type = "search";
    input.placeholder = "Filter " + body.rows.length + " rows";
    input.setAttribute("aria-label", "Filter the rows of the table below");
    count.className = "table-count";
    count.textContent = body.rows.length + " rows";
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
      Array.prototype.forEach.call(body.rows, function (r) {
        var text = r.textContent.toLowerCase();
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.hidden = !hit;
        shown += hit ? 1 : 0;
      });
      count.textContent = shown + " of " + body.rows.length + " rows";
    });
    box.appendChild(input);
    box.appendChild(count);
    wrap.parentNode.insertBefore(box, wrap);
  }
  function resizeCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll(".js-plotly-plot").forEach(function (g) { window.Plotly.Plots.resize(g); });
  }
  var closed = [];
  function beforePrint() {  // a printed page cannot be clicked open: print every list whole
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) { return !d.open; });
    closed.forEach(function (d) { d.open = true; });
    resizeCharts();
  }
  function afterPrint() {
    closed.forEach(function (d) { d.open = false; });
    closed = [];
    resizeCharts();
  }
  function ready() {
    contents();
    document.querySelectorAll("table.audit-table").forEach(function (t) { sortable(t); filterable(t); });
    window.addEventListener("beforeprint", beforePrint);
    window.addEventListener("afterprint", afterPrint);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
