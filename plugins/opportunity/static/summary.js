/* Opportunity summary charts (商机汇总). Each element with data-chart fetches its figures as
   JSON from data-src (the same filters and data scope as the page) and draws them with the
   vendored ECharts. No inline scripts: the CSP forbids them. */
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") { return; }
  var charts = [];
  var narrow = function () { return window.matchMedia("(max-width: 576px)").matches; };
  var palette = ["#0b5cad", "#5aa9e6", "#f4a259", "#8cb369", "#bc4b51", "#6c757d"];

  var chinese = (document.documentElement.lang || "").indexOf("zh") === 0;
  // Axis labels in the reader's habit: 12.5万 in Chinese, 125k / 1.2M in English.
  function money(value) {
    if (value === null || value === undefined) { return "—"; }
    var abs = Math.abs(value);
    if (chinese) {
      if (abs >= 100000000) { return +(value / 100000000).toFixed(1) + "亿"; }
      if (abs >= 10000) { return +(value / 10000).toFixed(1) + "万"; }
      return String(value);
    }
    if (abs >= 1000000) { return +(value / 1000000).toFixed(1) + "M"; }
    if (abs >= 1000) { return +(value / 1000).toFixed(1) + "k"; }
    return String(value);
  }

  function build(el, data) {
    var series = (data.series || []).map(function (s) {
      var line = s.type === "line";
      return {
        name: s.name, type: line ? "line" : "bar", data: s.data, yAxisIndex: s.axis || 0,
        barMaxWidth: 28, symbolSize: 6,
        label: { show: !line && data.categories.length <= 6 && !narrow(), position: "top", fontSize: 10,
                 formatter: function (p) { return money(p.value); } }
      };
    });
    var twoAxes = series.some(function (s) { return s.yAxisIndex === 1; });
    var rotate = narrow() || data.categories.length > 6 ? 35 : 0;
    var yAxis = [{ type: "value", name: data.labels && data.labels.count, minInterval: 1,
                   nameTextStyle: { align: "left" } }];
    if (twoAxes) {
      yAxis.push({ type: "value", name: data.labels && data.labels.revenue, splitLine: { show: false },
                   axisLabel: { formatter: money }, nameTextStyle: { align: "right" } });
    }
    if (narrow() && !twoAxes && data.categories.length > 4) {
      // A phone: many categories read better as horizontal bars, one row each.
      el.style.height = Math.max(280, data.categories.length * 22 * Math.max(1, series.length / 2) + 90) + "px";
      series.forEach(function (s) { s.label.show = false; });
      return {
        color: palette,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
        legend: { type: "scroll", top: 0 },
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        yAxis: { type: "category", data: data.categories, inverse: true,
                 axisLabel: { fontSize: 11, formatter: function (v) { return v.length > 7 ? v.slice(0, 7) + "…" : v; } } },
        xAxis: { type: "value", minInterval: 1, axisLabel: { formatter: money } },
        series: series
      };
    }
    return {
      color: palette,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: twoAxes ? 8 : 16, top: 48, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories,
               axisLabel: { interval: 0, rotate: rotate, fontSize: narrow() ? 10 : 12,
                            formatter: function (v) { return v.length > 8 ? v.slice(0, 8) + "…" : v; } } },
      yAxis: yAxis,
      series: series
    };
  }

  function draw(el) {
    fetch(el.dataset.src, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        var chart = window.echarts.init(el, null, { renderer: "canvas" });
        // "rendered" once the first animation has finished (screenshots, tests, print).
        chart.on("finished", function () { el.dataset.rendered = "true"; });
        chart.setOption(build(el, data));
        chart.resize();  // build() may have made the box taller (horizontal bars on a phone)
        if (el.dataset.drill && data.unit_ids) {
          chart.on("click", function (params) {
            var unit = data.unit_ids[params.dataIndex];
            if (unit) { window.location.href = el.dataset.drill.replace("__unit__", unit); }
          });
        }
        el.dataset.loaded = "true";
        charts.push(chart);
      })
      .catch(function () {
        el.classList.add("wb-chart-failed");
        el.textContent = document.body.dataset.fragmentError || "Could not load this chart.";
        el.dataset.rendered = "error";
      });
  }

  document.querySelectorAll("[data-chart][data-src]").forEach(draw);

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });

  // The custom dates show only for the "custom" period.
  var period = document.querySelector("[data-summary-period]");
  if (period) {
    period.addEventListener("change", function () {
      var custom = period.value === "custom";
      document.querySelectorAll(".wb-summary-custom").forEach(function (el) { el.classList.toggle("d-none", !custom); });
      if (!custom) { period.form.submit(); }
    });
  }
})();
