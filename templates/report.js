/* attoreport: progressive enhancement. The report reads fine without this script;
   it adds charts, filtering, sorting, the theme switch and tree navigation. */
(function () {
  "use strict";
  var nonce = document.currentScript ? document.currentScript.nonce : "";
  var root = document.documentElement;

  /* ---- theme ---------------------------------------------------------- */
  var toggle = document.getElementById("theme-toggle");
  function systemDark() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }
  function isDark() {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : systemDark();
  }
  function showTheme() {
    var dark = isDark();
    toggle.textContent = dark ? "Light theme" : "Dark theme";
    toggle.setAttribute("aria-pressed", dark ? "true" : "false");
  }
  try {
    var saved = window.localStorage.getItem("attoreport-theme");
    if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);
  } catch (e) { /* storage may be unavailable for file:// pages */ }
  if (toggle) {
    toggle.hidden = false;
    showTheme();
    toggle.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { window.localStorage.setItem("attoreport-theme", next); } catch (e) { /* ignore */ }
      showTheme();
      restyleCharts();
    });
  }

  /* ---- Perfetto trace download ----------------------------------------- */
  var exportBox = document.getElementById("trace-export");
  var traceData = document.getElementById("trace-data");
  var download = document.getElementById("trace-download");
  if (exportBox && traceData && download && window.Blob && window.URL && URL.createObjectURL) {
    exportBox.hidden = false;
    download.addEventListener("click", function () {
      var blob = new Blob([traceData.textContent], { type: "application/json" });
      var url = URL.createObjectURL(blob);
      var link = document.createElement("a");
      link.href = url;
      link.download = download.getAttribute("data-file-name") || "attoreport-trace.json";
      link.hidden = true;
      document.body.appendChild(link);
      link.click();
      document.body.removeChild(link);
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    });
  }

  /* ---- event log filters ---------------------------------------------- */
  document.querySelectorAll("[data-filter-for]").forEach(function (bar) {
    var table = document.getElementById(bar.getAttribute("data-filter-for"));
    if (!table) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var get = function (name) { return bar.querySelector('[data-filter="' + name + '"]'); };
    var count = bar.querySelector("[data-filter-count]");
    function apply() {
      var category = get("category").value, kind = get("kind").value;
      var text = get("text").value.trim().toLowerCase(), failed = get("failed").checked;
      var shown = 0, total = 0;
      rows.forEach(function (row) {
        if (row.classList.contains("gap")) { row.hidden = !!(category || kind || text || failed); return; }
        total += 1;
        var ok = (!category || row.dataset.category === category) &&
          (!kind || row.dataset.kind === kind) &&
          (!failed || row.hasAttribute("data-failed")) &&
          (!text || row.textContent.toLowerCase().indexOf(text) !== -1);
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = "Showing " + shown + " of " + total + " events";
    }
    bar.hidden = false;
    bar.addEventListener("input", apply);
    bar.addEventListener("change", apply);
    apply();
  });

  /* ---- tree ----------------------------------------------------------- */
  document.querySelectorAll(".tree-controls").forEach(function (controls) {
    controls.hidden = false;
    var tree = controls.parentElement.querySelector(".tree");
    controls.addEventListener("click", function (event) {
      var action = event.target.getAttribute("data-tree");
      if (!action || !tree) return;
      tree.querySelectorAll("details").forEach(function (d) { d.open = action === "open"; });
    });
  });

  function reveal() {
    var id;
    try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    target.scrollIntoView({ block: "start" });
    // Views far from the viewport are laid out only when reached (content-visibility): once
    // the target's view and its neighbours are drawn, the page is taller and the target may
    // have moved, so land again, for a few frames while it still moves.
    var frames = 4;
    var settle = function () {
      var before = target.getBoundingClientRect().top;
      target.scrollIntoView({ block: "start" });
      frames -= 1;
      if (frames > 0 && Math.abs(target.getBoundingClientRect().top - before) > 1) {
        window.requestAnimationFrame(settle);
      }
    };
    window.requestAnimationFrame(function () { window.requestAnimationFrame(settle); });
  }
  window.addEventListener("hashchange", reveal);
  if (window.location.hash) reveal();

  /* ---- sortable tables ------------------------------------------------ */
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, column) {
      var button = th.querySelector("button[data-sort-key]");
      if (!button) return;
      button.addEventListener("click", function () {
        var numeric = button.getAttribute("data-sort-key") === "number";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[column].getAttribute("data-value") || a.cells[column].textContent;
          var y = b.cells[column].getAttribute("data-value") || b.cells[column].textContent;
          var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        table.dispatchEvent(new Event("sorted"));
      });
    });
  });

  /* ---- overview: filter and pages (a report may list thousands of sessions) ---- */
  var PAGE = 100;
  document.querySelectorAll("table[data-pageable]").forEach(function (table) {
    var section = table.closest("section");
    var filterBox = section.querySelector(".overview-filter");
    var input = section.querySelector("[data-overview-filter]");
    var count = section.querySelector("[data-overview-count]");
    var page = 0;
    var pager = document.createElement("nav");
    pager.className = "pager";
    pager.setAttribute("aria-label", "Pages of the session table");
    var prev = document.createElement("button");
    var next = document.createElement("button");
    var where = document.createElement("span");
    prev.type = next.type = "button";
    prev.textContent = "Previous page";
    next.textContent = "Next page";
    pager.appendChild(prev); pager.appendChild(where); pager.appendChild(next);
    table.parentElement.insertAdjacentElement("afterend", pager);
    function apply() {
      var text = (input && input.value.trim().toLowerCase()) || "";
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      var matching = rows.filter(function (row) {
        return !text || row.textContent.toLowerCase().indexOf(text) !== -1;
      });
      var pages = Math.max(1, Math.ceil(matching.length / PAGE));
      page = Math.min(page, pages - 1);
      rows.forEach(function (row) { row.hidden = true; });
      matching.slice(page * PAGE, (page + 1) * PAGE).forEach(function (row) { row.hidden = false; });
      if (count) count.textContent = matching.length + " of " + rows.length + " sessions";
      where.textContent = " Page " + (page + 1) + " of " + pages + " ";
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
      pager.hidden = pages < 2;
    }
    prev.addEventListener("click", function () { page -= 1; apply(); });
    next.addEventListener("click", function () { page += 1; apply(); });
    if (input) input.addEventListener("input", function () { page = 0; apply(); });
    table.addEventListener("sorted", apply);
    if (filterBox) filterBox.hidden = false;
    apply();
  });

  /* ---- print: open everything ----------------------------------------- */
  var closedForPrint = [];
  window.addEventListener("beforeprint", function () {
    closedForPrint = Array.prototype.filter.call(document.querySelectorAll("details"),
      function (d) { return !d.open; });
    closedForPrint.forEach(function (d) { d.open = true; });
    if (window.Plotly) drawAllCharts();
    restyleCharts();
  });
  window.addEventListener("afterprint", function () {
    closedForPrint.forEach(function (d) { d.open = false; });
    restyleCharts();
  });
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) scheme.addEventListener("change", function () {
      if (toggle) showTheme();
      restyleCharts();
    });
  }

  /* ---- charts: plotly.js is inlined gzip-compressed --------------------- */
  var figures = {};
  try { figures = JSON.parse(document.getElementById("chart-data").textContent); } catch (e) { figures = {}; }
  var drawn = [];

  function themed(layout) {
    var style = getComputedStyle(root);
    var fg = style.getPropertyValue("--fg").trim() || "#1c1e21";
    var grid = style.getPropertyValue("--border").trim() || "#d5d9e0";
    var copy = JSON.parse(JSON.stringify(layout));
    copy.font = { color: fg, family: style.getPropertyValue("--sans") };
    Object.keys(copy).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        copy[key].gridcolor = grid;
        copy[key].zerolinecolor = grid;
        copy[key].linecolor = grid;
      }
    });
    ["xaxis", "yaxis"].forEach(function (key) {
      copy[key] = copy[key] || {};
      copy[key].gridcolor = grid;
      copy[key].zerolinecolor = grid;
    });
    return copy;
  }

  function restyleCharts() {
    if (!window.Plotly) return;
    drawn.forEach(function (item) { window.Plotly.relayout(item.el, themed(item.figure.layout)); });
  }

  /* Charts near the viewport are drawn first, one per task; the others follow while the
     page is idle, so a report with hundreds of charts never blocks the page for long. */
  var pendingCharts = [];
  var near = typeof WeakSet === "function" ? new WeakSet() : null;
  var drawScheduled = false;

  function drawChart(el) {
    var figure = figures[el.getAttribute("data-chart")];
    if (!figure || el.hasAttribute("data-drawn")) return;
    el.textContent = "";
    window.Plotly.newPlot(el, figure.data, themed(figure.layout),
      { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] });
    el.setAttribute("data-drawn", "true");
    drawn.push({ el: el, figure: figure });
  }

  function takeNext() {
    for (var i = 0; i < pendingCharts.length; i += 1) {
      if (near && near.has(pendingCharts[i])) return pendingCharts.splice(i, 1)[0];
    }
    return pendingCharts.shift();
  }

  function anyNear() {
    return !!near && pendingCharts.some(function (el) { return near.has(el); });
  }

  function scheduleDraw() {
    if (drawScheduled || !pendingCharts.length) return;
    drawScheduled = true;
    var run = function () {
      drawScheduled = false;
      var el = takeNext();
      if (el) drawChart(el);
      scheduleDraw();
    };
    if (anyNear() || !window.requestIdleCallback) window.setTimeout(run, 0);
    else window.requestIdleCallback(run, { timeout: 1000 });
  }

  function drawAllCharts() {
    while (pendingCharts.length) drawChart(pendingCharts.shift());
  }

  function drawCharts() {
    pendingCharts = Array.prototype.slice.call(document.querySelectorAll("[data-chart]"))
      .filter(function (el) { return figures[el.getAttribute("data-chart")]; });
    if (near && window.IntersectionObserver) {
      var margin = window.innerHeight || 800;
      var inView = function (el) {
        var box = el.getBoundingClientRect();
        return box.bottom >= -margin && box.top <= 2 * margin;
      };
      pendingCharts.forEach(function (el) {  // one layout pass: what is in view now
        // A far session's contents are not laid out (content-visibility): asking a chart
        // in it for its box would lay the session out. Its own box is cheap.
        var session = el.closest(".session");
        if ((!session || inView(session)) && inView(el)) near.add(el);
      });
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            near.add(entry.target);
            observer.unobserve(entry.target);
          }
        });
        scheduleDraw();
      }, { rootMargin: "100% 0px 100% 0px" });
      pendingCharts.forEach(function (el) { observer.observe(el); });
    }
    scheduleDraw();
  }

  function loadPlotly() {
    var packed = document.getElementById("plotly-gz");
    if (!packed || !window.DecompressionStream || !document.querySelector("[data-chart]")) return;
    var binary = window.atob(packed.textContent.trim());
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    new Response(stream).text().then(function (code) {
      var script = document.createElement("script");
      script.nonce = nonce;
      script.textContent = code;
      document.head.appendChild(script);
      if (window.Plotly) drawCharts();
    });
  }
  loadPlotly();
})();
