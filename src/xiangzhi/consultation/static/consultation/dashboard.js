/* 咨询需求分析: questions a week by topic as stacked bars (ECharts, served locally), from the JSON the page embeds
   with json_script; the table under the chart holds the same figures. No inline script (CSP). */
(function () {
  "use strict";
  function init() {
    var node = document.getElementById("demand-chart");
    var el = document.getElementById("demand-weekly");
    if (!node || !el || !window.echarts) { return; }
    var data = JSON.parse(node.textContent);
    if (!data.series.length) { el.hidden = true; return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.weeks },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.topic, type: "bar", stack: "all", data: s.values, emphasis: { focus: "series" } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
