/* ICT projects: the "my projects by stage" chart and the team member suggestions.
   Loaded from files (no inline script: the Content-Security-Policy forbids it). */
(function () {
  "use strict";

  function drawStageCharts(root) {
    var charts = (root || document).querySelectorAll(".ict-stage-chart:not([data-drawn])");
    if (!charts.length) { return; }
    if (!window.echarts) { window.setTimeout(function () { drawStageCharts(root); }, 200); return; }
    charts.forEach(function (element) {
      element.setAttribute("data-drawn", "1");
      fetch(element.getAttribute("data-chart-url"), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var chart = window.echarts.init(element);
          chart.on("finished", function () { element.setAttribute("data-rendered", "true"); });
          chart.setOption({
            grid: { left: 8, right: 8, top: 8, bottom: 24, containLabel: true },
            tooltip: { trigger: "axis" },
            xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, fontSize: 11 } },
            yAxis: { type: "value", minInterval: 1 },
            series: [{ type: "bar", data: data.values, itemStyle: { color: "#0d6efd" }, barMaxWidth: 36 }]
          });
          window.addEventListener("resize", function () { chart.resize(); });
        });
    });
  }

  function suggestPeople(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 1) { return; }
      timer = window.setTimeout(function () {
        fetch(input.getAttribute("data-people-url") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (people) {
            list.innerHTML = "";
            people.forEach(function (person) {
              var option = document.createElement("option");
              option.value = person.username;
              option.label = person.name + (person.unit ? " · " + person.unit : "");
              list.appendChild(option);
            });
          });
      }, 200);
    });
  }

  function init(root) {
    drawStageCharts(root);
    (root || document).querySelectorAll("input[data-people-url]").forEach(suggestPeople);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { drawStageCharts(event.target); });
})();
