/* Charts of the plant and inverter pages, drawn by Chart.js from the JSON the page carries
   (#chart-data). A power curve's x is minutes since the plant's local midnight. Labels come
   from the canvas's data attributes or the page, so they follow the page's language. */
(function () {
  "use strict";
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf"];
  var ko = document.documentElement.lang.indexOf("ko") === 0;
  var T = ko
    ? {total: "합계", inverter: "인버터", irr: "일사량 (W/m²)", kw: "kW", kwh: "kWh",
       ac: "AC 출력", dc: "DC 출력", temp: "온도 (°C)"}
    : {total: "Total", inverter: "Inverter", irr: "Irradiance (W/m²)", kw: "kW", kwh: "kWh",
       ac: "AC power", dc: "DC power", temp: "Temperature (°C)"};

  function hhmm(minutes) {
    var h = Math.floor(minutes / 60), m = Math.round(minutes % 60);
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }

  function timeAxis() {
    return {type: "linear", min: 0, max: 1440,
            ticks: {stepSize: 120, callback: function (v) { return hhmm(v); }}};
  }

  function line(label, points, color, extra) {
    var set = {label: label, data: points, borderColor: color, backgroundColor: color,
               pointRadius: 0, borderWidth: 1.5, spanGaps: false, parsing: false};
    return Object.assign(set, extra || {});
  }

  function tooltip(unit) {
    return {callbacks: {title: function (items) { return items.length ? hhmm(items[0].parsed.x) : ""; },
                        label: function (item) { return item.dataset.label + ": " + item.formattedValue + " " + unit; }}};
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = Object.assign({responsive: true, maintainAspectRatio: false, animation: false},
                                   config.options || {});
    canvas.chart = new Chart(canvas, config);
  }

  function bars(id, series, unit) {
    if (!series) return;
    draw(id, {type: "bar",
              data: {labels: series.labels,
                     datasets: [{label: unit, data: series.kwh, backgroundColor: "#2a7ab0"}]},
              options: {plugins: {legend: {display: false}}, scales: {y: {beginAtZero: true, title: {display: true, text: unit}}}}});
  }

  function plant(data) {
    var curve = data.curve, sets = [], i = 0;
    sets.push(line(T.total, curve.total, "#15324b", {borderWidth: 2.5, yAxisID: "y"}));
    Object.keys(curve.inverters).forEach(function (number) {
      sets.push(line(T.inverter + " " + number, curve.inverters[number], COLORS[i++ % COLORS.length], {yAxisID: "y"}));
    });
    var scales = {x: timeAxis(), y: {beginAtZero: true, title: {display: true, text: T.kw}}};
    if (curve.irradiance.length) {
      sets.push(line(T.irr, curve.irradiance, "#e8b100", {yAxisID: "irr", borderDash: [4, 3]}));
      scales.irr = {position: "right", beginAtZero: true, grid: {drawOnChartArea: false},
                    title: {display: true, text: "W/m²"}};
    }
    draw("chart-curve", {type: "line", data: {datasets: sets},
                         options: {scales: scales, interaction: {mode: "nearest", intersect: false},
                                   plugins: {tooltip: tooltip(""), decimation: {enabled: true}}}});
    bars("chart-hourly", data.hourly, T.kwh);
    bars("chart-daily", data.daily, T.kwh);
    bars("chart-monthly", data.monthly, T.kwh);
  }

  function inverter(data) {
    draw("chart-readings", {type: "line",
      data: {datasets: [line(T.ac, data.ac_kw, "#1f77b4", {yAxisID: "y"}),
                        line(T.dc, data.dc_kw, "#2ca02c", {yAxisID: "y"}),
                        line(T.temp, data.temp_c, "#d62728", {yAxisID: "temp", borderDash: [4, 3]})]},
      options: {scales: {x: timeAxis(), y: {beginAtZero: true, title: {display: true, text: T.kw}},
                         temp: {position: "right", grid: {drawOnChartArea: false}, title: {display: true, text: "°C"}}},
                interaction: {mode: "nearest", intersect: false}, plugins: {tooltip: tooltip("")}}});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("chart-data");
    if (!node || typeof Chart === "undefined") return;
    var data = JSON.parse(node.textContent);
    if (data.curve) plant(data); else inverter(data);
  });
})();
