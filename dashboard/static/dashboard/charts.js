// Trend charts: read the JSON the server put in a json_script element, draw stacked bars.
// Redrawn on every htmx:load, so they follow the filters after each swap. Labels are drawn on
// the canvas and tooltips are Chart.js's own canvas tooltips: no user text becomes HTML.
// The axis and tooltips read dates as people do ("2 Nov 14:00"), as the server wrote them;
// once a chart is drawn its table of the same numbers is only kept for screen readers.
(function () {
  "use strict";

  function narrowTo(filter, range) {
    const params = new URLSearchParams(window.location.search);
    params.delete("page");
    for (const [name, value] of Object.entries(filter || {})) params.set(name, value);
    if (range) {
      params.delete("range");
      params.set("timestamp__gte", range[0]);
      params.set("timestamp__lte", range[1]);
    }
    window.location.assign(window.location.pathname + "?" + params.toString());
  }

  // Axis text, grid lines and bar edges in the theme's colours, which the chart box carries
  // (app.css); returns the bar edge colour.
  function themeColours(canvas) {
    const box = window.getComputedStyle(canvas.parentElement);
    Chart.defaults.color = box.color;
    Chart.defaults.borderColor = box.borderTopColor;
    return box.outlineColor;
  }

  function draw(canvas, data) {
    const edge = themeColours(canvas);
    const datasets = data[canvas.dataset.series] || [];
    const existing = Chart.getChart(canvas);
    if (existing) existing.destroy();
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.axis_labels || data.labels,
        datasets: datasets.map((set) => ({
          label: set.label, data: set.data, backgroundColor: set.backgroundColor, filter: set.filter,
          borderColor: edge, borderWidth: 1,
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", intersect: true },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: {
          legend: {
            position: "bottom",
            labels: { boxWidth: 10 },
            onClick: (event, item) => {
              const set = datasets[item.datasetIndex];
              if (set && Object.keys(set.filter).length) narrowTo(set.filter, null);
            },
          },
          tooltip: {
            enabled: true,
            callbacks: {
              title: (items) => (items.length ? (data.titles || data.labels)[items[0].dataIndex] : ""),
            },
          },
        },
        onClick: (event, elements) => {
          if (!elements.length) return;
          const { datasetIndex, index } = elements[0];
          narrowTo(datasets[datasetIndex].filter, data.ranges[index]);
        },
      },
    });
  }

  function drawWithin(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("[data-chart-source]").forEach((box) => {
      const source = document.getElementById(box.dataset.chartSource);
      if (!source) return;
      const data = JSON.parse(source.textContent);
      box.querySelectorAll("canvas[data-series]").forEach((canvas) => {
        draw(canvas, data);
        const figure = canvas.closest("figure");
        if (figure) figure.classList.add("is-drawn");
      });
    });
  }

  document.addEventListener("htmx:load", (event) => drawWithin(event.target));
  document.addEventListener("DOMContentLoaded", () => drawWithin(document));
  document.addEventListener("themechange", () => drawWithin(document));
})();
