/* Intelligence summary charts (情报汇总): each [data-chart] element fetches its series as JSON
   from data-src (same filters and data scope as the page) and draws a stacked bar per month
   with the vendored ECharts. Region bars link to the drill-down page. No inline script (CSP). */
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") { return; }
  var palette = ["#0b5cad", "#bc4b51", "#f4a259", "#8cb369", "#5aa9e6", "#6c757d", "#9b5de5", "#2a9d8f", "#e76f51"];
  var narrow = function () { return window.matchMedia("(max-width: 576px)").matches; };
  var charts = [];

  function option(data) {
    var series = (data.series || []).map(function (s) {
      return { name: s.name, type: "bar", stack: "total", data: s.data, barMaxWidth: 36,
               emphasis: { focus: "series" } };
    });
    return {
      color: palette,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.months, axisLabel: { rotate: narrow() && data.months.length > 6 ? 45 : 0 } },
      yAxis: { type: "value", minInterval: 1 },  /* counts of items; the card title says what */
      series: series
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (el) {
    el.style.height = narrow() ? "300px" : "340px";
    fetch(el.getAttribute("data-src"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var chart = window.echarts.init(el);
        chart.setOption(option(data));
        charts.push(chart);
        var drill = el.getAttribute("data-drill");
        if (drill && data.unit_ids) {
          chart.on("click", function (params) {
            var unitId = data.unit_ids[params.seriesIndex];
            if (unitId) { window.location.href = drill.replace("__unit__", unitId); }
          });
        }
      })
      .catch(function () { el.textContent = ""; });
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
