/* 研判 charts: ECharts (served locally) from the JSON the page embeds with json_script; a click on a bar, slice or
   point opens the list of its cases. The wall display (大屏) also reloads itself on a timer. No inline script (CSP). */
(function () {
  "use strict";
  var FIVE = { "红色": "#d9363e", "橙色": "#f08c2e", "黄色": "#e8c21a", "蓝色": "#2f6fb3", "绿色": "#3a9a50" };
  function option(c, dark) {
    var text = dark ? "#e8eef5" : "#333";
    var base = { textStyle: { color: text }, tooltip: { trigger: c.kind === "pie" ? "item" : "axis" }, grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true } };
    if (c.kind === "pie") {
      base.series = [{ type: "pie", radius: ["35%", "70%"], label: { color: text, formatter: "{b}\n{c}" },
        data: c.labels.map(function (l, i) {
          var item = { name: l, value: c.values[i] };
          if (FIVE[l]) { item.itemStyle = { color: FIVE[l] }; }
          return item;
        }) }];
      return base;
    }
    var horizontal = c.kind === "hbar";
    var cat = { type: "category", data: c.labels, axisLabel: { color: text, interval: 0, rotate: horizontal ? 0 : (c.labels.length > 8 ? 40 : 0) } };
    var val = { type: "value", axisLabel: { color: text } };
    if (horizontal) { cat.inverse = true; }
    base.xAxis = horizontal ? val : cat;
    base.yAxis = horizontal ? cat : val;
    base.series = [{ name: c.series, type: c.kind === "line" ? "line" : "bar", data: c.values, smooth: true,
      itemStyle: { color: dark ? "#4fb3ff" : "#2f6fb3" }, label: { show: c.labels.length <= 15, position: horizontal ? "right" : "top", color: text } }];
    return base;
  }
  function init() {
    var node = document.getElementById("insights-charts");
    if (!node || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    var dark = document.body.classList.contains("wall");
    var byKey = {};
    data.forEach(function (c) { byKey[c.key] = c; });
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var c = byKey[el.getAttribute("data-chart")];
      if (!c) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(c, dark));
      chart.on("click", function (p) {
        var href = c.links[p.dataIndex];
        if (href) { window.location.href = href; }
      });
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (ch) { ch.resize(); }); });
    var refresh = parseInt(document.body.getAttribute("data-refresh") || "0", 10);
    if (refresh > 0) { window.setTimeout(function () { window.location.reload(); }, refresh * 1000); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
