// cnnlab report: draws charts and sorts tables. Needs echarts.min.js first.
"use strict";
var cnnlab = (function () {
  var charts = [];
  var byId = {};
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") { return; }
    if (byId[id] && !byId[id].isDisposed()) { byId[id].dispose(); }
    var c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(option);
    charts.push(c);
    byId[id] = c;
  }

  // An epoch slider shows the first series and the one the slider points at.
  function slide(input) {
    var c = byId[input.getAttribute("data-chart")];
    var names = JSON.parse(input.getAttribute("data-series"));
    var k = parseInt(input.value, 10);
    if (!c || !names[k]) { return; }
    names.forEach(function (name, i) {
      c.dispatchAction({ type: (i === 0 || i === k) ? "legendSelect" : "legendUnSelect", name: name });
    });
    var out = input.parentNode.querySelector("output");
    if (out) { out.textContent = names[k]; }
  }
  window.addEventListener("resize", function () {
    charts = charts.filter(function (c) { return !c.isDisposed(); });
    charts.forEach(function (c) { c.resize(); });
  });

  function cellValue(td) {
    var v = td.getAttribute("data-sort");
    if (v === null) { v = td.textContent.trim(); }
    var n = parseFloat(v);
    return (v !== "" && !isNaN(n) && isFinite(v)) ? n : v.toLowerCase();
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
      if (typeof x !== typeof y) { x = String(x); y = String(y); }
      return x < y ? -dir : x > y ? dir : 0;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  // bind makes the sliders and sortable tables under root work, once each
  // (a page updated in place binds what it received).
  function bind(root) {
    root.querySelectorAll("input[data-series]").forEach(function (input) {
      if (input.cnnlabBound) { return; }
      input.cnnlabBound = true;
      input.addEventListener("input", function () { slide(input); });
    });
    root.querySelectorAll("table.sortable").forEach(function (table) {
      if (table.cnnlabBound) { return; }
      table.cnnlabBound = true;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
        th.tabIndex = 0;
        th.addEventListener("click", function () { sortBy(table, i, th); });
        th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sortBy(table, i, th); } });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); });
  return { chart: chart, bind: bind };
})();
