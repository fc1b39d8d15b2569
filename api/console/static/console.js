// learnmap console: draws every element with data-chart (ECharts options fetched from
// the server as JSON) when a page or an htmx swap loads; resizes with the window.
(function () {
  "use strict";
  var charts = [];
  function draw(el) {
    if (el.dataset.drawn === "1") { return; }
    el.dataset.drawn = "1";
    fetch(el.dataset.chart, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("chart " + r.status); }
        return r.json();
      })
      .then(function (options) {
        // a chart that asks for its own size (the learning map, drawn at scale 1 so
        // its labels never overlap) gets it; its container scrolls sideways
        var size = options.lmSize;
        delete options.lmSize;
        if (size) {
          el.style.width = size.width + "px";
          el.style.minWidth = "100%";
          el.style.height = size.height + "px";
        }
        var chart = echarts.init(el, null, { renderer: "canvas" });
        options.animation = false;
        chart.setOption(options);
        charts.push(chart);
        el.dataset.ready = "1";
      })
      .catch(function (err) {
        el.textContent = el.dataset.error || "—";
        el.dataset.ready = "error";
        el.title = String(err);
      });
  }
  function scan(root) {
    var els = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < els.length; i++) { draw(els[i]); }
  }
  function start() {
    if (window.htmx) {
      htmx.onLoad(function (el) { scan(el); });
    } else {
      scan(document);
    }
    window.addEventListener("resize", function () {
      charts = charts.filter(function (c) { return !c.isDisposed(); });
      charts.forEach(function (c) { c.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
