// cnnlab report: draws charts and sorts tables. Needs echarts.min.js first.
"use strict";
var cnnlab = (function () {
  var charts = [];
  var byId = {};
  // A band series (mean ± std) is a custom series whose data are
  // [x, low, high]: one polygon through the highs and back along the lows.
  function bandRenderer(data, color, opacity) {
    return function (params, api) {
      if (params.dataIndexInside !== 0) { return null; }
      var top = [], bottom = [];
      data.forEach(function (d) {
        top.push(api.coord([d[0], d[2]]));
        bottom.push(api.coord([d[0], d[1]]));
      });
      return { type: "polygon", shape: { points: top.concat(bottom.reverse()) },
        style: { fill: color, opacity: opacity } };
    };
  }
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") { return null; }
    if (byId[id] && !byId[id].isDisposed()) { byId[id].dispose(); }
    (option.series || []).forEach(function (s) {
      if (s.cnnlabBand) {
        s.renderItem = bandRenderer(s.data, s.itemStyle.color, s.itemStyle.opacity);
      }
    });
    var c = echarts.init(el, null, { renderer: "canvas" });
    c.setOption(option);
    charts.push(c);
    byId[id] = c;
    fitLegend(c);
    return c;
  }

  // A legend wraps onto as many lines as the chart's width asks: the plot
  // starts below it and the chart grows by as much, keeping the plot's
  // height. The page's guess of the height is corrected here.
  function fitLegend(c) {
    var opt = c.getOption();
    if (!opt.legend || !opt.legend[0] || opt.legend[0].show === false || !opt.grid || !c.getViewOfComponentModel) { return; }
    var lm = c.getModel().getComponent("legend");
    var view = lm && c.getViewOfComponentModel(lm);
    if (!view || !view.group) { return; }
    var h = Math.ceil(view.group.getBoundingRect().height);
    var el = c.getDom();
    var top = h + 26;
    var oldTop = parseInt(opt.grid[0].top, 10) || 56;
    if (Math.abs(top - oldTop) < 4) { return; }
    c.setOption({ grid: [{ top: top }] });
    el.style.height = (el.clientHeight + top - oldTop) + "px";
    c.resize();
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
    charts.forEach(function (c) { c.resize(); fitLegend(c); });
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
  // A click on a cell of the confusion matrix shows the test images
  // recorded for that (true, predicted) pair; cells is keyed "true,pred".
  function cells(id, data) {
    var c = byId[id];
    var box = document.getElementById("cell-images");
    if (!c || !box) { return; }
    c.on("click", function (p) {
      if (!p.value || p.value.length < 2) { return; }
      var key = p.value[1] + "," + p.value[0];
      var cell = data[key];
      var head = box.querySelector("h3"), img = box.querySelector("img"), list = box.querySelector("ol");
      if (!img) {
        img = document.createElement("img");
        img.alt = "test images of the chosen cell";
        box.insertBefore(img, list);
      }
      box.hidden = false;
      box.setAttribute("data-cell", key);
      list.textContent = "";
      var rows = c.getOption().yAxis[0].data, cols = c.getOption().xAxis[0].data;
      var what = "true " + rows[p.value[1]] + ", predicted " + cols[p.value[0]];
      if (!cell) {
        head.textContent = what + ": " + p.value[2] + " test images, none recorded";
        img.hidden = true;
        return;
      }
      head.textContent = what + ": " + cell.count + " test image" + (cell.count === 1 ? "" : "s") +
        ", the " + cell.items.length + " most confident shown";
      img.hidden = false;
      img.src = cell.src;
      img.style.width = (3 * cell.width) + "px";
      cell.items.forEach(function (it) {
        var li = document.createElement("li");
        li.textContent = "#" + it.index + " " + it.prob;
        list.appendChild(li);
      });
      box.scrollIntoView({ block: "nearest" });
    });
  }
  // ---- compare page ----
  var runColours = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f"];
  function runColour(i, n) {
    if (n <= runColours.length) { return runColours[i]; }
    return "hsl(" + Math.round(360 * i / n) + ", 65%, " + (i % 2 ? 58 : 42) + "%)";
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function table(head, rows, rowClass) {
    var t = el("table"), th = el("thead"), tr = el("tr");
    head.forEach(function (h) { tr.appendChild(h instanceof Node ? wrap("th", h) : el("th", {}, h)); });
    th.appendChild(tr); t.appendChild(th);
    var tb = el("tbody");
    rows.forEach(function (r, i) {
      var row = el("tr", rowClass && rowClass[i] ? { "class": rowClass[i] } : {});
      r.forEach(function (c, j) { row.appendChild(el(j === 0 ? "th" : "td", {}, c)); });
      tb.appendChild(row);
    });
    t.appendChild(tb);
    var w = el("div", { "class": "table-wrap" });
    w.appendChild(t);
    return w;
  }
  function wrap(tag, child) { var e = el(tag); e.appendChild(child); return e; }
  function runLink(r, colour) {
    var a = el("a", { href: r.href }, r.label);
    a.style.borderBottom = "3px solid " + colour;
    return a;
  }
  function compare(facts, runs) {
    var root = document.getElementById("compare");
    var pick = document.getElementById("compare-pick");
    if (!root || !pick) { return; }
    var boxes = Array.prototype.slice.call(pick.querySelectorAll("input[type=checkbox]"));
    function chosen() {
      var want = decodeURIComponent(location.hash.replace(/^#/, "")).split(",").filter(Boolean);
      return runs.filter(function (r) { return want.indexOf(r.slug) >= 0; });
    }
    function render() {
      var rs = chosen();
      boxes.forEach(function (b) { b.checked = rs.some(function (r) { return r.slug === b.value; }); });
      root.textContent = "";
      if (rs.length < 2) {
        root.appendChild(el("p", { "class": "muted" }, "Choose two or more runs to compare."));
        return;
      }
      var colours = rs.map(function (r, i) { return runColour(i, rs.length); });
      // Each table gets links of its own: a node lives in one place only.
      function head(first) { return [first].concat(rs.map(function (r, i) { return runLink(r, colours[i]); })); }

      root.appendChild(el("h2", { id: "compare-figures" }, "Figures"));
      root.appendChild(table(head(""), facts.map(function (f) {
        return [f].concat(rs.map(function (r) { return r.facts[f]; }));
      })));

      root.appendChild(el("h2", { id: "compare-config" }, "Config: what differs"));
      var keys = [], values = {};
      rs.forEach(function (r, i) {
        (r.config || []).forEach(function (kv) {
          if (!(kv[0] in values)) { keys.push(kv[0]); values[kv[0]] = []; }
          values[kv[0]][i] = kv[1];
        });
      });
      var differ = keys.filter(function (k) {
        var v = values[k];
        return rs.some(function (r, i) { return v[i] !== v[0]; });
      });
      if (differ.length === 0) {
        root.appendChild(el("p", { "class": "muted" }, "The chosen runs' resolved configs are the same."));
      } else {
        root.appendChild(table(head("setting"), differ.map(function (k) {
          return [k].concat(rs.map(function (r, i) { return values[k][i] === undefined ? "–" : values[k][i]; }));
        })));
      }
      root.appendChild(el("p", { "class": "muted" }, (keys.length - differ.length) + " other settings are the same in every chosen run."));

      root.appendChild(el("h2", { id: "compare-curves" }, "Learning curves"));
      var grid = el("div", { "class": "charts" });
      root.appendChild(grid);
      [["val_acc", "Validation accuracy per epoch", "validation accuracy %", "train_acc", "train (epoch mean, dashed)"],
       ["loss", "Training data loss per epoch", "data loss", "val_loss", "validation (dashed)"]].forEach(function (spec, n) {
        var fig = el("figure", { "class": "chart-card" });
        fig.appendChild(el("figcaption", {}, spec[1]));
        var div = el("div", { "class": "chart", id: "compare-chart-" + n });
        fig.appendChild(div);
        fig.appendChild(el("p", { "class": "note" }, "Solid: " + spec[2] + "; " + spec[4] + ". The camera button saves the chart as a PNG."));
        grid.appendChild(fig);
        var series = [];
        rs.forEach(function (r, i) {
          // A run without validation images has empty validation lists.
          var at = function (key, e, j) { return j < r[key].length ? [e, r[key][j]] : [e, "-"]; };
          var solid = r.epochs.map(function (e, j) { return at(spec[0], e, j); });
          var dashed = r.epochs.map(function (e, j) { return at(spec[3], e, j); });
          series.push({ type: "line", name: r.label, data: solid, color: colours[i], lineStyle: { width: 2 }, symbolSize: 5 });
          series.push({ type: "line", name: r.label, data: dashed, color: colours[i], lineStyle: { width: 1.5, type: "dashed" }, symbol: "none" });
        });
        chart(div.id, {
          animation: false, tooltip: { trigger: "axis" },
          legend: { type: "plain", top: 0, left: 0, right: 40 },
          toolbox: { right: 0, top: 0, feature: { saveAsImage: { title: "save as PNG", name: "compare-" + spec[0] } } },
          grid: { left: 36, right: 30, top: 44 + 22 * Math.ceil(rs.length / 2), bottom: 40, containLabel: true },
          xAxis: { type: "value", name: "epoch", nameLocation: "middle", nameGap: 28, minInterval: 1, scale: true },
          yAxis: { type: "value", name: spec[2], scale: true, nameTextStyle: { align: "left" } },
          series: series
        });
        div.style.height = (320 + 22 * Math.ceil(rs.length / 2)) + "px";
        byId[div.id].resize();
      });

      root.appendChild(el("h2", { id: "compare-layers" }, "Output size of each layer"));
      var layers = [], sizes = {};
      rs.forEach(function (r, i) {
        (r.layers || []).forEach(function (l) {
          if (!(l[0] in sizes)) { layers.push(l[0]); sizes[l[0]] = []; }
          sizes[l[0]][i] = l[1];
        });
      });
      root.appendChild(table(head("layer"), layers.map(function (l) {
        return [l].concat(rs.map(function (r, i) { return sizes[l][i] || "–"; }));
      })));

      [["wrong", "Most confidently wrong test images"], ["filters", "Learned filters"], ["maps", "Feature maps of the first traced test image"]].forEach(function (spec) {
        root.appendChild(el("h2", {}, spec[1]));
        rs.forEach(function (r, i) {
          var row = el("div", { "class": "compare-row" });
          row.appendChild(wrap("div", runLink(r, colours[i])));
          var pics = el("div", { "class": "compare-pics" });
          var list = r[spec[0]] || [];
          if (list.length === 0) { pics.appendChild(el("span", { "class": "muted" }, "none recorded")); }
          list.forEach(function (p) {
            var src = typeof p === "string" ? p : p.src;
            var img = el("img", { src: src, alt: spec[0] });
            if (spec[0] === "wrong") { img.width = 56; img.height = 56; }
            if (p.width) { img.width = p.width; img.height = p.height; img.title = p.layer; }
            pics.appendChild(img);
          });
          row.appendChild(pics);
          root.appendChild(row);
        });
      });
    }
    boxes.forEach(function (b) {
      b.addEventListener("change", function () {
        location.hash = boxes.filter(function (x) { return x.checked; }).map(function (x) { return x.value; }).join(",");
      });
    });
    window.addEventListener("hashchange", render);
    render();
  }

  // The runs table of a sweep: tick runs, then open the compare page.
  function comparePicker() {
    var btn = document.getElementById("compare-button");
    if (!btn) { return; }
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input.pick"));
    function update() {
      var n = boxes.filter(function (b) { return b.checked; }).length;
      btn.disabled = n < 2;
      btn.textContent = "Compare " + (n ? n + " " : "") + "chosen runs";
    }
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    btn.addEventListener("click", function () {
      var slugs = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      location.href = btn.getAttribute("data-href") + "#" + slugs.join(",");
    });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () { bind(document); comparePicker(); });

  return { chart: chart, bind: bind, byId: byId, cells: cells, compare: compare };
})();
