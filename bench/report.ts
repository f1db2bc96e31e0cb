// Output of a run: the per-workload tables, the target summary, and the SVG bar chart.
import type { VariantId } from "./workloads";

export interface VariantResult {
  id: VariantId;
  label: string;
  mean: number;
  rme: number;
  samples: number;
  hz: number;
  median: number;
  min: number;
  maxRelErr: number;
  kernels?: { forward: number; backward: number };
  mathTanhCalls?: number; // compiled variants: from explain()
}
export interface CaseResult {
  workload: string;
  n: number;
  threads?: number; // setNumThreads during the case (older results have none)
  headToHead?: Record<string, number>; // seconds per call in interleaved rounds, by variant id (peers)
  // issue 14: this case's variants and the same case made at 1 thread, in interleaved rounds
  // (seconds per call, fastest batch), by variant id: { one, two }
  threadsHeadToHead?: Record<string, { one: number; two: number }>;
  variants: VariantResult[];
  eagerOverCompiled: number | null;
  compiledOverHand: number | null;
  eagerOverValueAndGrad: number | null;
  valueAndGradOverHand: number | null;
}
export interface WorkloadResult {
  id: string;
  title: string;
  note: string;
  cases: CaseResult[];
}
export interface Target {
  id: string;
  what: string;
  measured: number | null;
  unit: string;
  goal: number;
  better: "higher" | "lower";
  pass: boolean | null;
  verdict: string;
  why: string;
}
export interface Results {
  meta: {
    date: string;
    mode: string;
    loadavg: { start: number[]; end: number[] };
    cpuShare: number;
    machine: string;
    node: string;
    v8: string;
    cpu: string;
    nproc: number;
    commit: string;
    benchmark: { maxTime: number; minSamples: number };
    seconds: number;
    trainingApi: boolean;
    peers?: string[]; // which peer libraries ran (or why not)
  };
  workloads: WorkloadResult[];
  extras: Record<string, unknown>;
  targets: Target[];
}

export function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return "-";
  if (s < 1e-6) return `${(s * 1e9).toPrecision(3)} ns`;
  if (s < 1e-3) return `${(s * 1e6).toPrecision(3)} µs`;
  if (s < 1) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${s.toPrecision(3)} s`;
}
export const fmtN = (n: number) =>
  n >= 1000 && Math.log10(n) % 1 === 0 ? `1e${Math.log10(n)}` : String(n);
const fmtHz = (hz: number) =>
  hz >= 1e6
    ? `${(hz / 1e6).toPrecision(3)}M`
    : hz >= 1e3
      ? `${(hz / 1e3).toPrecision(3)}k`
      : hz.toPrecision(3);
const x = (r: number | null) => (r === null ? "" : `${r.toFixed(r >= 100 ? 0 : 2)}x`);
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

export function workloadTable(w: WorkloadResult): string {
  const lines = [w.title + (w.note ? `\n  (${w.note})` : "")];
  lines.push(
    `  ${lpad("N", 5)} ${lpad("threads", 7)}  ${pad("variant", 32)} ${lpad("mean", 10)} ${lpad("±%", 6)} ${lpad("calls/s", 8)} ${lpad("eager/compiled", 15)} ${lpad("compiled/hand", 14)}`,
  );
  for (const c of w.cases) {
    c.variants.forEach((v, i) => {
      const ratios =
        v.id === "compiled"
          ? [c.eagerOverCompiled, c.compiledOverHand]
          : v.id === "valueAndGrad"
            ? [c.eagerOverValueAndGrad, c.valueAndGradOverHand]
            : [null, null];
      lines.push(
        `  ${lpad(i === 0 ? fmtN(c.n) : "", 5)} ${lpad(i === 0 ? String(c.threads ?? "") : "", 7)}  ${pad(v.label, 32)} ${lpad(fmtTime(v.mean), 10)} ${lpad(`${v.rme.toFixed(1)}%`, 6)} ${lpad(fmtHz(v.hz), 8)} ${lpad(x(ratios[0]), 15)} ${lpad(x(ratios[1]), 14)}`,
      );
    });
  }
  return lines.join("\n");
}

// Markdown version (README).
export function markdownTables(r: Results): string {
  const out: string[] = [];
  out.push(
    "| workload | N | threads | eager | compiled | compiled (valueAndGrad) | hand-written | eager/compiled | compiled/hand | eager, JS backend | compiled, JS backend | tfjs (Wasm) | jax-js (Wasm) |",
  );
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const w of r.workloads) {
    for (const c of w.cases) {
      const t = (id: VariantId) => {
        const v = c.variants.find((u) => u.id === id);
        return v ? `${fmtTime(v.mean)} ±${v.rme.toFixed(1)}%` : "-";
      };
      out.push(
        `| ${w.id} | ${fmtN(c.n)} | ${c.threads ?? ""} | ${t("eager")} | ${t("compiled")} | ${t("valueAndGrad")} | ${t("hand")} | ${x(c.eagerOverCompiled)} | ${x(c.compiledOverHand)} | ${t("eagerJs")} | ${t("compiledJs")} | ${t("tfjs")} | ${t("jax")} |`,
      );
    }
  }
  return out.join("\n");
}

export function targetTable(ts: Target[]): string {
  const w = Math.max(...ts.map((t) => t.what.length));
  return ts
    .map((t) => {
      const m = t.measured === null ? "n/a" : `${t.measured.toPrecision(3)}${t.unit}`;
      const g = `${t.better === "higher" ? ">=" : "<="} ${t.goal}${t.unit}`;
      const res = t.pass === null ? "n/a " : t.pass ? "PASS" : "MISS";
      return `  ${res}  ${pad(t.what, w)}  ${lpad(m, 12)}  ${pad(g, 14)} ${t.verdict}${t.why ? `\n        why: ${t.why}` : ""}`;
    })
    .join("\n");
}

// ---- SVG: grouped bars, time per call on a log axis ----
const COLORS: Record<VariantId, string> = {
  eager: "#d9534f",
  compiled: "#1f6fb4",
  valueAndGrad: "#7fb3e0",
  wholeStep: "#0b3d6b",
  hand: "#3a9a4a",
  torch: "#ee7f2d",
  eagerJs: "#f0ad4e",
  compiledJs: "#8e6cc0",
  tfjs: "#7a7a7a",
  jax: "#2b2b2b",
};
const NAMES: Record<VariantId, string> = {
  eager: "eager",
  compiled: "compiled",
  valueAndGrad: "compiled (valueAndGrad)",
  wholeStep: "compiled whole step",
  hand: "hand-written JS",
  torch: "PyTorch (1 thread)",
  eagerJs: "eager, JS backend",
  compiledJs: "compiled, JS backend",
  tfjs: "tfjs (Wasm backend)",
  jax: "jax-js jit (Wasm)",
};
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function svgChart(r: Results): string {
  const groups = r.workloads.flatMap((w) => w.cases.map((c) => ({ w, c })));
  const barW = 15,
    gap = 26,
    wlGap = 22,
    left = 78,
    top = 92,
    plotH = 360;
  const widthOf = (c: CaseResult) => c.variants.length * barW;
  let xPos = left + 16;
  const placed = groups.map((g, i) => {
    if (i > 0 && groups[i - 1].w !== g.w) xPos += wlGap;
    const at = xPos;
    xPos += widthOf(g.c) + gap;
    return { ...g, x: at };
  });
  // legend: the variants this run has, in one row the chart is made wide enough for
  const present = new Set(groups.flatMap((g) => g.c.variants.map((v) => v.id)));
  const legend = (Object.keys(NAMES) as VariantId[]).filter((k) => present.has(k));
  const legendEnd = legend.reduce((x, id) => x + 30 + NAMES[id].length * 7, left);
  const width = Math.max(xPos + 20, 900, legendEnd + 10);
  const means = groups.flatMap((g) => g.c.variants.map((v) => v.mean)).filter((m) => m > 0);
  const lo = Math.floor(Math.log10(Math.min(...means))),
    hi = Math.ceil(Math.log10(Math.max(...means)));
  const y = (s: number) => top + plotH - ((Math.log10(s) - lo) / (hi - lo)) * plotH;
  const els: string[] = [];
  els.push(`<rect width="100%" height="100%" fill="white"/>`);
  els.push(
    `<text x="${left}" y="28" font-size="18" font-weight="bold">jitgrad benchmark: time per call (log scale, lower is better)</text>`,
  );
  els.push(
    `<text x="${left}" y="48" font-size="12" fill="#444">${esc(`${r.meta.cpu}, ${r.meta.nproc} cores, Node ${r.meta.node}; ${r.meta.mode} run, ${r.meta.date.slice(0, 16).replace("T", " ")} UTC, commit ${r.meta.commit}; load average ${r.meta.loadavg.start[0].toFixed(1)} at start, this process had ${(r.meta.cpuShare * 100).toFixed(0)}% of a core`)}</text>`,
  );
  let lx = left;
  for (const id of legend) {
    els.push(
      `<rect x="${lx}" y="60" width="12" height="12" fill="${COLORS[id]}"/><text x="${lx + 16}" y="70" font-size="12">${NAMES[id]}</text>`,
    );
    lx += 30 + NAMES[id].length * 7;
  }
  // grid
  for (let d = lo; d <= hi; d++) {
    const yy = y(10 ** d);
    els.push(`<line x1="${left}" x2="${width - 10}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    els.push(
      `<text x="${left - 6}" y="${yy + 4}" font-size="11" text-anchor="end">${fmtTime(10 ** d)
        .replace(/\.0+ /, " ")
        .replace(/\.00 /, " ")}</text>`,
    );
    if (d < hi)
      for (const m of [2, 5]) {
        const ym = y(m * 10 ** d);
        els.push(`<line x1="${left}" x2="${width - 10}" y1="${ym}" y2="${ym}" stroke="#f0f0f0"/>`);
      }
  }
  els.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  els.push(
    `<line x1="${left}" x2="${width - 10}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
  );
  // bars
  for (const g of placed) {
    g.c.variants.forEach((v, k) => {
      const bx = g.x + k * barW,
        by = y(v.mean),
        h = top + plotH - by;
      els.push(
        `<rect x="${bx}" y="${by.toFixed(1)}" width="${barW - 2}" height="${h.toFixed(1)}" fill="${COLORS[v.id]}"><title>${esc(`${g.w.id} N=${fmtN(g.c.n)} ${v.label}: ${fmtTime(v.mean)} ±${v.rme.toFixed(1)}%`)}</title></rect>`,
      );
      const tx = bx + (barW - 2) / 2 + 3.5,
        ty = by - 4;
      els.push(
        `<text x="${tx}" y="${ty}" font-size="9.5" transform="rotate(-90 ${tx} ${ty})" fill="#222">${esc(fmtTime(v.mean))}</text>`,
      );
    });
    const cx = g.x + widthOf(g.c) / 2;
    els.push(
      `<text x="${cx}" y="${top + plotH + 15}" font-size="11" text-anchor="middle">${g.w.id === "W4" ? `B=${g.c.n}` : `N=${fmtN(g.c.n)}`}</text>`,
    );
    if (g.c.eagerOverCompiled !== null) {
      els.push(
        `<text x="${cx}" y="${top + plotH + 29}" font-size="10" text-anchor="middle" fill="${COLORS.compiled}">${x(g.c.eagerOverCompiled)}</text>`,
      );
    }
  }
  // workload labels
  for (const w of r.workloads) {
    const ps = placed.filter((p) => p.w === w);
    if (!ps.length) continue;
    const x0 = ps[0].x,
      x1 = ps[ps.length - 1].x + widthOf(ps[ps.length - 1].c);
    els.push(
      `<line x1="${x0}" x2="${x1}" y1="${top + plotH + 37}" y2="${top + plotH + 37}" stroke="#888"/>`,
    );
    els.push(
      `<text x="${(x0 + x1) / 2}" y="${top + plotH + 52}" font-size="13" font-weight="bold" text-anchor="middle">${w.id}</text>`,
    );
  }
  const titles = r.workloads.map((w) => `${w.title}`);
  let ty = top + plotH + 76;
  els.push(
    `<text x="${left}" y="${ty}" font-size="11" fill="#1f6fb4">blue numbers under the groups: eager time / compiled time</text>`,
  );
  for (const t of titles) {
    ty += 15;
    els.push(`<text x="${left}" y="${ty}" font-size="11" fill="#444">${esc(t)}</text>`);
  }
  // targets
  ty += 26;
  els.push(`<text x="${left}" y="${ty}" font-size="13" font-weight="bold">Targets</text>`);
  for (const t of r.targets) {
    ty += 16;
    const col = t.pass === null ? "#888" : t.pass ? "#2a8a3a" : "#c9302c";
    const m = t.measured === null ? "n/a" : `${t.measured.toPrecision(3)}${t.unit}`;
    els.push(
      `<text x="${left}" y="${ty}" font-size="11.5"><tspan fill="${col}" font-weight="bold">${t.pass === null ? "n/a " : t.pass ? "PASS" : "MISS"}</tspan> ${esc(`${t.what}: ${m} (goal ${t.better === "higher" ? ">=" : "<="} ${t.goal}${t.unit}) ${t.verdict}`)}</text>`,
    );
  }
  const extras = r.extras as {
    copy?: { gbps: number };
    matmul?: Record<string, { gflops: number }>;
  };
  if (extras.copy || extras.matmul) {
    ty += 24;
    const mm = extras.matmul
      ? Object.entries(extras.matmul)
          .map(([k, v]) => `${k} ${v.gflops.toFixed(2)}`)
          .join(", ")
      : "";
    els.push(
      `<text x="${left}" y="${ty}" font-size="11.5">${esc(`copy loop (1e6 floats): ${extras.copy?.gbps.toFixed(1)} GB/s;  matmul 128x784 @ 784x256 GFLOP/s: ${mm}`)}</text>`,
    );
  }
  const height = ty + 20;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">\n${els.join("\n")}\n</svg>\n`;
}
