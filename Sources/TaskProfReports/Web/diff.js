"use strict";
const D = JSON.parse(document.getElementById("diff-data").textContent);
const $ = window.__taskprof.$;
const el = window.__taskprof.el;   // el(tag, class, text), common.js
const tp = window.__taskprof;
const pct = (v) => v.toFixed(1) + "%";
const signed = (v) => (v >= 0 ? "+" : "") + v.toFixed(1);
const pfmt = (p) => p >= 0.01 ? p.toFixed(2) : p.toExponential(1);
const ms = (v) => v === null || v === undefined ? "-" : (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(3)) + " ms";

// Header: both builds.
function buildCard(id, b) {
  const box = $(id);
  const rows = [
    ["command", b.command.join(" ") || "(unknown)"],
    ["build-id", b.buildID || "(none)"],
    ["recorded", b.startTime || "(unknown)"],
    ["duration", (b.durationMs / 1000).toFixed(2) + " s"],
    ["samples", b.samples + (b.scopeSamples !== b.samples ? " (" + b.scopeSamples + " in scope)" : "")
      + (b.samplesPerSecond ? ", " + b.samplesPerSecond.toFixed(0) + "/s" : "")],
    ["host", b.host || "-"],
  ];
  for (const [k, v] of rows) {
    const d = el("div");
    d.appendChild(el("span", "k", k + ": "));
    d.appendChild(el("span", null, v));
    box.appendChild(d);
  }
}
buildCard("build-base", D.base);
buildCard("build-new", D.new);
{
  const s = D.significance;
  let text = "Normalized by " + D.normalize + (D.normalize === "time" ? " (samples per second, as a share of the base's rate)" : " (share of samples)")
    + ". " + (D.identical ? "No changes: both profiles have the same samples." :
      D.regressions + " significant regression(s), " + D.improvements + " significant improvement(s)")
    + ". Significant: " + s.test + ", p < " + s.alpha + "/" + s.functionsCompared + " and at least " + s.minChangePoints + " points.";
  if (D.task) text += " Tables are for tasks named \u201c" + D.task + "\u201d.";
  $("summary").textContent = text;
}

// ---- Flame graph -------------------------------------------------------------------------
const scopeSel = $("scope");
function addOption(sel, value, text) { const o = el("option", null, text); o.value = value; sel.appendChild(o); }
addOption(scopeSel, "all", "All samples");
D.tasks.map((t, i) => [t, i]).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  .forEach(([t, i]) => addOption(scopeSel, "t" + i, "Task: " + t));
D.threads.map((t, i) => [t, i]).sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
  .forEach(([t, i]) => addOption(scopeSel, "h" + i, "Thread: " + t));
if (D.task) { const i = D.tasks.indexOf(D.task); if (i >= 0) scopeSel.value = "t" + i; }
// `#view=base&task=NAME` or `#thread=NAME` in the URL picks the initial view and scope.
{
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.get("view") === "base" || h.get("view") === "new") $("view").value = h.get("view");
  const t = h.get("task"), th = h.get("thread");
  if (t !== null && D.tasks.indexOf(t) >= 0) scopeSel.value = "t" + D.tasks.indexOf(t);
  if (th !== null && D.threads.indexOf(th) >= 0) scopeSel.value = "h" + D.threads.indexOf(th);
}

// The tree of a scope as flat arrays (box 0 the root), with both sides' samples per box:
// common.js's FlameView draws it with the widths of one side (`weigh`).
function buildTree(scope) {
  const T = { label: ["all"], full: [""], module: [""], b: [0], n: [0], parent: [-1], depth: [0], kidsAll: [new Map()] };
  const S = D.samples;
  const kind = scope[0], idx = scope === "all" ? -2 : Number(scope.slice(1));
  for (let i = 0; i < S.length; i += 5) {
    const st = S[i], task = S[i + 1], th = S[i + 2], b = S[i + 3], n = S[i + 4];
    if (kind === "t" && task !== idx) continue;
    if (kind === "h" && th !== idx) continue;
    let node = 0;
    T.b[0] += b; T.n[0] += n;
    const path = [];
    if (scope === "all") path.push(task >= 0 ? "T" + task : "H" + th);
    for (const f of D.stacks[st]) path.push(f);
    for (const k of path) {
      let c = T.kidsAll[node].get(k);
      if (c === undefined) {
        c = T.label.length;
        if (typeof k === "number") {
          const f = D.funcs[k];
          T.label.push(f[0]); T.full.push(f[1]); T.module.push(f[2]);
        } else if (k[0] === "T") {
          T.label.push(D.tasks[Number(k.slice(1))]); T.full.push("task"); T.module.push("");
        } else {
          T.label.push(D.threads[Number(k.slice(1))]); T.full.push("thread (no task)"); T.module.push("");
        }
        T.b.push(0); T.n.push(0); T.parent.push(node); T.depth.push(T.depth[node] + 1); T.kidsAll.push(new Map());
        T.kidsAll[node].set(k, c);
      }
      T.b[c] += b; T.n[c] += n;
      node = c;
    }
  }
  T.name = (i) => T.label[i];
  T.kids = (i) => T.kidsOf[i];
  return T;
}

// Widths from one side: each box's children with samples there, heaviest first, laid out
// left to right from the box's start.
function weigh(T, side) {
  T.total = side === "new" ? T.n : T.b;
  T.x = new Array(T.label.length).fill(0);
  T.kidsOf = [];
  for (let i = 0; i < T.label.length; i++) {
    const kids = [...T.kidsAll[i].values()].filter((c) => T.total[c] > 0)
      .sort((u, v) => T.total[v] - T.total[u] || (T.label[u] < T.label[v] ? -1 : T.label[u] > T.label[v] ? 1 : 0));
    T.kidsOf.push(kids);
  }
  // parents come before their children, so one pass in box order places every box
  for (let i = 0; i < T.label.length; i++) {
    let cx = T.x[i];
    for (const c of T.kidsOf[i]) { T.x[c] = cx; cx += T.total[c]; }
  }
  return T;
}

let tree = null;
const tip = $("tip");

function normalizer(T) {
  const Nb = T.b[0], Nn = T.n[0], Tb = D.baseSeconds, Tn = D.newSeconds;
  if (D.normalize === "time" && Tb > 0 && Tn > 0) {
    const R = Nb > 0 ? Nb / Tb : Nn / Tn;
    return { b: (c) => R > 0 ? c / Tb / R * 100 : 0, n: (c) => R > 0 ? c / Tn / R * 100 : 0 };
  }
  return { b: (c) => Nb > 0 ? c / Nb * 100 : 0, n: (c) => Nn > 0 ? c / Nn * 100 : 0 };
}
let norm = null, maxDelta = 1;

// Changes under the minimum change are grey; the colour deepens with the change, full at the
// largest change in view (but never for less than 5 points, so small changes stay pale).
const neutralBelow = Math.max(0.1, D.significance.minChangePoints || 0);
function colour(i) {
  const d = norm.n(tree.n[i]) - norm.b(tree.b[i]);
  if (Math.abs(d) < neutralBelow) return "rgb(207,207,207)";
  const t = Math.min(1, Math.sqrt(Math.abs(d) / Math.max(maxDelta, 5)));
  const lo = Math.round(215 - 160 * t);
  return d > 0 ? "rgb(235," + lo + "," + lo + ")" : "rgb(" + lo + "," + Math.round(lo + 25 * (1 - t)) + ",235)";
}

function showTip(T, i, cx, cy) {
  tip.replaceChildren();
  tip.appendChild(el("div", "name", T.label[i]));
  if (T.full[i] && T.full[i] !== T.label[i]) tip.appendChild(el("div", "full", T.full[i]));
  if (T.module[i]) tip.appendChild(el("div", "muted", T.module[i]));
  const t = el("table");
  const b = norm.b(T.b[i]), n = norm.n(T.n[i]), d = n - b;
  for (const [k, v] of [["base", T.b[i] + " samples, " + pct(b)], ["new", T.n[i] + " samples, " + pct(n)],
                        ["change", signed(d) + " points" + (T.b[i] === 0 ? " (only in new)" : T.n[i] === 0 ? " (only in base)" : "")]]) {
    const tr = el("tr");
    tr.appendChild(el("td", null, k));
    tr.appendChild(el("td", k === "change" ? (d >= neutralBelow ? "grew" : d <= -neutralBelow ? "shrank" : "") : "", v));
    t.appendChild(tr);
  }
  tip.appendChild(t);
  tp.placeTip(tip, cx, cy);
}

const flame = new tp.FlameView($("flame"), $("flame-hover"), {
  icicle: true, rowH: 17, minWidth: 0.5, minRows: 2,
  font: "11px " + getComputedStyle(document.body).getPropertyValue("--mono"),
  style: (i) => [colour(i), false],
  outline: (i, T) => {
    const term = $("search").value.trim().toLowerCase();
    return term && T.label[i].toLowerCase().includes(term) ? "#a21caf" : null;
  },
  onHover: showTip,
  onLeave: () => { tip.hidden = true; },
  // Click a box to zoom in; click the zoomed box (or an ancestor row) to zoom out to it.
  onClick: (i, v) => v.setZoom(i === v.zoom && v.tree.parent[i] >= 0 ? v.tree.parent[i] : i),
  onDraw: (v) => {
    const chain = [];
    for (let a = v.zoom; a >= 0; a = v.tree.parent[a]) chain.unshift(v.tree.label[a]);
    $("crumbs").textContent = chain.join(" \u203a ");
    if (v.tree.total[v.zoom] === 0) {
      v.ctx.fillStyle = "#666";
      v.ctx.fillText($("view").value === "new" ? "No samples in NEW for this scope (try the reverse view)." : "No samples in BASE for this scope.", 8, v.rowH * 1.5);
    }
  },
});

function rebuild() {
  tree = buildTree(scopeSel.value);
  norm = normalizer(tree);
  maxDelta = 0.5;
  for (let i = 0; i < tree.label.length; i++) maxDelta = Math.max(maxDelta, Math.abs(norm.n(tree.n[i]) - norm.b(tree.b[i])));
  flame.setTree(weigh(tree, $("view").value));
}

$("view").addEventListener("change", () => flame.setTree(weigh(tree, $("view").value)));
scopeSel.addEventListener("change", rebuild);
$("search").addEventListener("input", () => flame.draw());
$("reset").addEventListener("click", () => flame.setZoom(0));
window.addEventListener("resize", () => flame.draw());

// ---- Tables ------------------------------------------------------------------------------
// Tables: common.js's SortTable, in the data's order (most changed first) until a header is
// clicked.
const num = (text, cls) => ({ num: true, cell: text, clsOf: cls });
const changeCls = (v) => v.flagged ? (v.change > 0 ? "grew" : "shrank") : "";
const changeText = (v) => signed(v.change) + (v.flagged ? "*" : "");

const fnColumns = [
  { title: "function", cls: "fn", get: (f) => f.shortName.toLowerCase(), titleOf: (f) => f.name, cell: (f) => {
      const box = el("span");
      box.appendChild(el("span", null, f.shortName));
      box.appendChild(el("small", null, "  " + f.module + (f.presence !== "both" ? " \u00b7 only in " + f.presence : "")));
      return box;
    } },
  { title: "self base", ...num((f) => pct(f.self.basePercent)), get: (f) => f.self.basePercent },
  { title: "self new", ...num((f) => pct(f.self.newPercent)), get: (f) => f.self.newPercent },
  { title: "\u0394 self", ...num((f) => changeText(f.self), (f) => changeCls(f.self)), tip: "percentage points; * = significant", get: (f) => f.self.change },
  { title: "p self", ...num((f) => pfmt(f.self.pValue)), get: (f) => -f.self.pValue },
  { title: "total base", ...num((f) => pct(f.total.basePercent)), get: (f) => f.total.basePercent },
  { title: "total new", ...num((f) => pct(f.total.newPercent)), get: (f) => f.total.newPercent },
  { title: "\u0394 total", ...num((f) => changeText(f.total), (f) => changeCls(f.total)), tip: "percentage points; * = significant", get: (f) => f.total.change },
  { title: "p total", ...num((f) => pfmt(f.total.pValue)), get: (f) => -f.total.pValue },
  { title: "samples base \u2192 new", ...num((f) => f.self.base + "/" + f.total.base + " \u2192 " + f.self.new + "/" + f.total.new),
    get: (f) => f.total.new - f.total.base },
];
const fnTable = new tp.SortTable($("fn-table"), fnColumns, { sortCol: -1, limit: 500, emptyText: "nothing to show" });
function filterFunctions() {
  const term = $("fn-filter").value.trim().toLowerCase();
  const flagged = $("fn-flagged").checked;
  const rows = D.functions.filter((f) => (!flagged || f.self.flagged || f.total.flagged)
    && (!term || f.shortName.toLowerCase().includes(term) || f.name.toLowerCase().includes(term) || f.module.toLowerCase().includes(term)));
  fnTable.setRows(rows);
  $("fn-count").textContent = rows.length + " of " + D.functions.length + " functions";
}
$("fn-filter").addEventListener("input", filterFunctions);
$("fn-flagged").addEventListener("change", filterFunctions);
filterFunctions();

const pair = (p, f) => (p.base === null || p.base === undefined ? "-" : f(p.base)) + " \u2192 " + (p.new === null || p.new === undefined ? "-" : f(p.new));
const taskColumns = [
  { title: "task", cls: "fn", get: (t) => t.label.toLowerCase(), cell: (t) => t.label },
  { title: "tasks base \u2192 new", ...num((t) => t.baseTasks + " \u2192 " + t.newTasks), get: (t) => t.newTasks },
  { title: "CPU base", ...num((t) => pct(t.cpu.basePercent)), get: (t) => t.cpu.basePercent },
  { title: "CPU new", ...num((t) => pct(t.cpu.newPercent)), get: (t) => t.cpu.newPercent },
  { title: "\u0394 CPU", ...num((t) => changeText(t.cpu), (t) => changeCls(t.cpu)), get: (t) => t.cpu.change },
  { title: "p", ...num((t) => pfmt(t.cpu.pValue)), get: (t) => -t.cpu.pValue },
  { title: "poll p99", ...num((t) => pair(t.pollP99Ms, ms)), get: (t) => t.pollP99Ms.new || 0 },
  { title: "scheduling delay p99", ...num((t) => pair(t.schedulingDelayP99Ms, ms)), get: (t) => t.schedulingDelayP99Ms.new || 0 },
  { title: "long polls", ...num((t) => pair(t.longPolls, (v) => String(v))), get: (t) => t.longPolls.new || 0 },
];
new tp.SortTable($("task-table"), taskColumns, { sortCol: -1, limit: 1000, emptyText: "nothing to show" }).setRows(D.taskTable);

{
  const box = $("longpolls");
  if (!D.longPolls) box.appendChild(el("p", "empty", "Not compared: job tracking was off in one of the recordings."));
  else if (D.longPolls.length === 0) box.appendChild(el("p", "empty", "No long polls new or resolved."));
  else {
    const t = el("table");
    const h = el("tr");
    for (const c of ["status", "task", "top function", "base", "new", "longest base \u2192 new"]) h.appendChild(el("th", null, c));
    t.appendChild(h);
    for (const f of D.longPolls) {
      const tr = el("tr");
      tr.appendChild(el("td", f.status === "new" ? "grew" : "shrank", f.status));
      tr.appendChild(el("td", null, f.task));
      tr.appendChild(el("td", "fn", f.function));
      tr.appendChild(el("td", "num", f.baseCount));
      tr.appendChild(el("td", "num", f.newCount));
      tr.appendChild(el("td", "num", ms(f.baseMaxMs) + " \u2192 " + ms(f.newMaxMs)));
      t.appendChild(tr);
    }
    box.appendChild(t);
  }
}

rebuild();

// `#selftest` in the URL: exercise the views, scopes, zoom and tooltip, and write the outcome
// as JSON into <pre id="selftest-result"> (for headless browser checks).
if (new URLSearchParams(location.hash.slice(1)).has("selftest")) {
  const result = { ok: false, errors: [] };
  try {
    const views = {};
    for (const v of ["new", "base"]) {
      $("view").value = v; flame.setTree(weigh(tree, v));
      views[v] = { boxes: flame.vis.length, rootWidth: tree.total[0] };
    }
    result.views = views;
    $("view").value = "new";
    result.scopes = [];
    for (const o of [...scopeSel.options]) {
      scopeSel.value = o.value; rebuild();
      result.scopes.push({ scope: o.textContent, base: tree.b[0], new: tree.n[0], boxes: flame.vis.length });
    }
    scopeSel.value = "all"; rebuild();
    const target = flame.vis.find((i) => tree.depth[i] >= 2 && flame.boxOf(i).w > 4);
    if (target !== undefined) {
      const box = flame.boxOf(target), r = flame.canvas.getBoundingClientRect();
      const at = { clientX: r.left + box.x + 2, clientY: r.top + box.y + 3 };
      flame.canvas.dispatchEvent(new MouseEvent("mousemove", at));
      result.tooltip = tip.textContent;
      flame.canvas.dispatchEvent(new MouseEvent("click", at));
      result.zoomedTo = tree.label[flame.zoom];
      result.crumbs = $("crumbs").textContent;
      result.zoomed = flame.zoom === target;
    }
    result.functionRows = $("fn-table").tBodies[0].rows.length;
    // Sorting: a click on "self new" puts the largest share first.
    $("fn-table").tHead.rows[0].cells[2].click();
    const first = fnTable.lastSorted[0], most = Math.max(...D.functions.map((f) => f.self.newPercent));
    result.sortedBySelfNew = D.functions.length === 0 || first.self.newPercent === most;
    result.taskRows = $("task-table").tBodies[0].rows.length;
    result.ok = views.new.boxes > 0 && views.base.boxes > 0 && !!result.tooltip && result.zoomed === true && result.sortedBySelfNew;
  } catch (e) {
    result.errors.push(String(e && e.stack || e));
  }
  // Errors the page met outside the test (common.js collects them), and the mark that it finished.
  const tp = window.__taskprof;
  if (tp) { result.errors = tp.errors.concat(result.errors); tp.done = true; }
  if (result.errors.length) result.ok = false;
  const pre = el("pre", null, JSON.stringify(result));
  pre.id = "selftest-result";
  document.body.appendChild(pre);
}
