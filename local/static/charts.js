// Charts from Chart.js (vendored: vendor/chart.umd.min.js, see local/vendor.py), each with a text
// alternative: the canvas has an accessible name and summary, and the same numbers follow as a table.

import { euros, h, table } from "./app.js";

// Distinguishable, and each at least 3:1 against white (WCAG 1.4.11, graphical objects).
export const COLORS = ["#3f7a14", "#1a56db", "#b7410e", "#7e3af2", "#0e7490", "#a16207", "#be185d", "#4b5563"];
export const FEE = "#6b7280";
export const CHARITY = "#b42318";

/**
 * figure(title, summary, config, tableArgs): a <figure> with the chart and its data table.
 * `config` is Chart.js's {type, data, options}; money values are cents and shown as euros.
 */
export function figure(title, summary, config, tableArgs) {
  const canvas = h("canvas", { role: "img", "aria-label": `${title}. ${summary}` });
  const fig = h("figure", { class: "card" },
    h("figcaption", {}, h("h2", {}, title), h("p", { class: "hint" }, summary)),
    h("div", { class: "chart" }, canvas),
    h("details", { class: "alt" }, h("summary", {}, `${title}: the numbers`), table(...tableArgs)));
  const euro = (v) => euros(Math.round(v));
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label || c.label}: ${euro(c.parsed.y ?? c.parsed)}` } } },
    ...(config.options || {}),
  };
  if (config.type !== "doughnut") {
    // Cents on the axis, labelled in euros; at least €1.00 high, so an empty chart reads as zero.
    const y = { beginAtZero: true, suggestedMax: 100, ...(options.scales && options.scales.y), ticks: { precision: 0, callback: euro } };
    options.scales = { ...(options.scales || {}), y };
  }
  if (window.Chart) {
    // Drawn once the figure is in the document, so Chart.js can measure it.
    requestAnimationFrame(() => { fig.chart = new window.Chart(canvas, { ...config, options }); });
  } else {
    canvas.replaceWith(h("p", { class: "muted" }, "The chart could not load; the numbers are below."));
  }
  return fig;
}
