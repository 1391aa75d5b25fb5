/* Warnings: the customer indicator chart (revenue, balance, arrears on the left axis; traffic
   and members on the right; months with a warning marked) fed as JSON from data-chart-url.
   Loaded from a file (no inline script: the Content-Security-Policy forbids it); safe to load
   twice (a chart is drawn once) and works inside htmx-loaded sections. */
(function () {
  "use strict";
  var palette = ["#0b5cad", "#8cb369", "#bc4b51", "#f4a259", "#6c757d"];
  var narrow = function () { return window.matchMedia("(max-width: 576px)").matches; };

  function money(value) {
    var abs = Math.abs(value);
    if ((document.documentElement.lang || "").indexOf("zh") === 0) {
      if (abs >= 10000) { return +(value / 10000).toFixed(1) + "万"; }
      return String(value);
    }
    if (abs >= 1000000) { return +(value / 1000000).toFixed(1) + "M"; }
    if (abs >= 1000) { return +(value / 1000).toFixed(1) + "k"; }
    return String(value);
  }

  function draw(element, data) {
    var marked = {};
    (data.warnings || []).forEach(function (w) {
      (marked[w.period] = marked[w.period] || []).push(w.label);
    });
    var series = data.series.map(function (s, index) {
      var item = { name: s.name, type: s.axis ? "line" : "bar", data: s.data, yAxisIndex: s.axis || 0,
                   barMaxWidth: 18, symbolSize: 6, connectNulls: true };
      if (index === 0) {
        item.markPoint = {
          symbol: "pin", symbolSize: 34, itemStyle: { color: "#dc3545" },
          data: data.categories.map(function (month, i) {
            return marked[month] ? { coord: [i, s.data[i] || 0], value: "!", name: marked[month].join("、") } : null;
          }).filter(Boolean)
        };
      }
      return item;
    });
    var chart = window.echarts.init(element);
    chart.on("finished", function () { element.setAttribute("data-rendered", "true"); });
    chart.setOption({
      color: palette,
      tooltip: { trigger: "axis", confine: true, formatter: function (items) {
        var month = items.length ? items[0].axisValue : "";
        var lines = [month];
        items.forEach(function (p) { if (p.value !== null && p.value !== undefined) { lines.push(p.marker + p.seriesName + ": " + p.value); } });
        if (marked[month]) { lines.push("⚠ " + marked[month].join("、")); }
        return lines.join("<br>");
      } },
      legend: { type: "scroll", top: 0, textStyle: { fontSize: narrow() ? 10 : 12 } },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories, axisLabel: { rotate: narrow() ? 45 : 0, fontSize: 11 } },
      yAxis: [{ type: "value", axisLabel: { formatter: money } },
              { type: "value", splitLine: { show: false }, axisLabel: { formatter: money } }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawAll() {
    var elements = document.querySelectorAll(".warning-chart:not([data-drawn])");
    if (!elements.length) { return; }
    if (!window.echarts) { window.setTimeout(drawAll, 200); return; }
    elements.forEach(function (element) {
      element.setAttribute("data-drawn", "1");
      fetch(element.getAttribute("data-chart-url"), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (!data.categories.length) { element.classList.add("d-none"); return; }
          draw(element, data);
        });
    });
  }

  drawAll();
  document.body.addEventListener("htmx:afterSettle", drawAll);
})();
