// Wires the report's filters to its Plotly charts and match table. Every point and table row carries
// the number of its dashboard row; the facets say what each row is (time, region, source,
// competition, teams), and a redraw keeps what passes the filters. The region, team, competition and
// date filters ignore rows that lack their attribute (-1, or no time), so the team filter does not
// hide the national order series; the source filter keeps only rows of that source.
(() => {
  "use strict";
  const DAY_MS = 86400000;
  // The per-point arrays of a trace; one colour or width for all points is a scalar and stays.
  const POINT_ARRAYS = ["x", "y", "text", "customdata", "width", "marker.color", "error_y.array", "error_y.arrayminus"];
  const CONFIG = { displaylogo: false, responsive: true };
  const TYPED = {
    f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array,
    i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array,
  };

  const get = (object, path) => path.split(".").reduce((o, key) => (o == null ? undefined : o[key]), object);
  const set = (object, path, value) => {
    const keys = path.split(".");
    const last = keys.pop();
    keys.reduce((o, key) => o[key], object)[last] = value;
  };
  // Plotly's Python side writes numeric arrays as base64 typed arrays, which Plotly.js reads; the
  // filters need plain arrays, with null where a value is missing (NaN).
  const plain = (value) => {
    if (!value || typeof value.bdata !== "string") return value;
    const bytes = Uint8Array.from(atob(value.bdata), (c) => c.charCodeAt(0));
    return Array.from(new TYPED[value.dtype](bytes.buffer), (v) => (Number.isNaN(v) ? null : v));
  };

  const spec = JSON.parse(document.getElementById("report-data").textContent);
  // Plotly's bundle is a file beside the reports: a page copied without it says which file it needs.
  if (typeof Plotly === "undefined") {
    const src = document.getElementById("plotly-bundle").getAttribute("src");
    for (const figure of spec.figures) {
      const chart = document.getElementById(figure.id);
      chart.className = "missing-bundle";
      chart.textContent = `This chart needs Plotly.js at ${src}, relative to this page: copy the reports folder with it.`;
    }
    document.documentElement.dataset.rendered = "without-plotly";
    return;
  }
  const facets = Object.fromEntries(Object.entries(spec.facets).map(([name, values]) => [name, plain(values)]));
  for (const trace of spec.figures.flatMap((figure) => figure.data)) {
    for (const path of POINT_ARRAYS) if (get(trace, path) !== undefined) set(trace, path, plain(get(trace, path)));
  }
  const form = document.getElementById("filters");
  const tableRows = Array.from(document.querySelectorAll("tr[data-row]"));
  let draws = 0;

  const code = (id) => Number(document.getElementById(id).value);
  const dayStart = (id, offset) => {
    const value = document.getElementById(id).value;
    return value ? Date.parse(value) + offset : null;
  };

  // Per dashboard row: 1 when it passes every filter.
  function passing() {
    const team = code("f-team"), competition = code("f-competition"), source = code("f-source");
    const region = code("f-region"), from = dayStart("f-from", 0), to = dayStart("f-to", DAY_MS);
    const passes = new Uint8Array(facets.source.length);
    for (let i = 0; i < passes.length; i++) {
      const t = facets.t[i], home = facets.home[i];
      passes[i] = Number(
        (region < 0 || facets.region[i] < 0 || facets.region[i] === region) &&
        (source < 0 || facets.source[i] === source) &&
        (competition < 0 || facets.competition[i] < 0 || facets.competition[i] === competition) &&
        (team < 0 || home < 0 || home === team || facets.away[i] === team) &&
        (t === null || ((from === null || t >= from) && (to === null || t < to)))
      );
    }
    return passes;
  }

  // The trace with only its passing points. A line marked meta.gaps gets a break (y null) where
  // points were left out, so it never bridges hours that are filtered away.
  function filtered(trace, passes) {
    if (!Array.isArray(trace.customdata)) return trace;
    const gaps = Boolean(trace.meta && trace.meta.gaps);
    const points = [];
    let previous = null;
    trace.customdata.forEach((row, i) => {
      if (!passes[row]) return;
      if (gaps && previous !== null && i !== previous + 1) points.push([i, true]);
      points.push([i, false]);
      previous = i;
    });
    const copy = structuredClone(trace);
    for (const path of POINT_ARRAYS) {
      const values = get(trace, path);
      if (Array.isArray(values)) set(copy, path, points.map(([i, gap]) => (gap && path === "y" ? null : values[i])));
    }
    return copy;
  }

  function draw() {
    const passes = passing();
    const plots = spec.figures.map((figure) => {
      const data = figure.data.map((trace) => filtered(trace, passes));
      return Plotly.react(figure.id, data, structuredClone(figure.layout), CONFIG);
    });
    let shown = 0;
    for (const row of tableRows) {
      row.hidden = !passes[Number(row.dataset.row)];
      shown += row.hidden ? 0 : 1;
    }
    document.getElementById("shown").textContent = `${shown} of ${tableRows.length} match rows shown`;
    return Promise.all(plots).then(() => {
      draws += 1;
      document.documentElement.dataset.draws = String(draws);
    });
  }

  form.addEventListener("change", draw);
  form.addEventListener("reset", () => setTimeout(draw));
  draw().then(() => {
    performance.mark("rendered");
    document.documentElement.dataset.rendered = "true";
  });
})();
