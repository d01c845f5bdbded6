"use strict";
const D = JSON.parse(document.getElementById("diff-data").textContent);
const $ = window.__taskprof.$;
const el = window.__taskprof.el;   // el(tag, class, text), common.js
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
const ROW = 17;
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

function buildTree(scope) {
  const root = { key: "root", label: "all", full: "", module: "", b: 0, n: 0, kids: new Map(), parent: null, depth: 0 };
  const S = D.samples;
  const kind = scope[0], idx = scope === "all" ? -2 : Number(scope.slice(1));
  for (let i = 0; i < S.length; i += 5) {
    const st = S[i], task = S[i + 1], th = S[i + 2], b = S[i + 3], n = S[i + 4];
    if (kind === "t" && task !== idx) continue;
    if (kind === "h" && th !== idx) continue;
    let node = root;
    node.b += b; node.n += n;
    const path = [];
    if (scope === "all") path.push(task >= 0 ? "T" + task : "H" + th);
    for (const f of D.stacks[st]) path.push(f);
    for (const k of path) {
      let c = node.kids.get(k);
      if (!c) {
        if (typeof k === "number") {
          const f = D.funcs[k];
          c = { key: k, label: f[0], full: f[1], module: f[2] };
        } else if (k[0] === "T") {
          c = { key: k, label: D.tasks[Number(k.slice(1))], full: "task", module: "" };
        } else {
          c = { key: k, label: D.threads[Number(k.slice(1))], full: "thread (no task)", module: "" };
        }
        c.b = 0; c.n = 0; c.kids = new Map(); c.parent = node; c.depth = node.depth + 1;
        node.kids.set(k, c);
      }
      c.b += b; c.n += n;
      node = c;
    }
  }
  return root;
}

let tree = null, zoomed = null, rects = [];
const canvas = $("flame"), ctx = canvas.getContext("2d"), tip = $("tip");

function normalizer(root) {
  const Nb = root.b, Nn = root.n, Tb = D.baseSeconds, Tn = D.newSeconds;
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
function colour(node) {
  const d = norm.n(node.n) - norm.b(node.b);
  if (Math.abs(d) < neutralBelow) return "rgb(207,207,207)";
  const t = Math.min(1, Math.sqrt(Math.abs(d) / Math.max(maxDelta, 5)));
  const lo = Math.round(215 - 160 * t);
  return d > 0 ? "rgb(235," + lo + "," + lo + ")" : "rgb(" + lo + "," + Math.round(lo + 25 * (1 - t)) + ",235)";
}

function weight(node) { return $("view").value === "new" ? node.n : node.b; }

function depthOf(node) {
  let d = node.depth;
  for (const c of node.kids.values()) if (weight(c) > 0) d = Math.max(d, depthOf(c));
  return d;
}

function rebuild() {
  tree = buildTree(scopeSel.value);
  norm = normalizer(tree);
  maxDelta = 0.5;
  (function walk(n) {
    maxDelta = Math.max(maxDelta, Math.abs(norm.n(n.n) - norm.b(n.b)));
    for (const c of n.kids.values()) walk(c);
  })(tree);
  zoomed = tree;
  draw();
}

function draw() {
  const wrap = $("flame-wrap");
  const W = Math.max(300, wrap.clientWidth - 2);
  const depth = depthOf(zoomed) + 1;
  const H = Math.max(2, depth + 1) * ROW;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = W * dpr; canvas.height = H * dpr;
  canvas.style.height = H + "px";
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  ctx.font = "11px " + getComputedStyle(document.body).getPropertyValue("--mono");
  ctx.textBaseline = "middle";
  rects = [];
  const term = $("search").value.trim().toLowerCase();
  const total = weight(zoomed);
  function box(node, x, w, y) {
    ctx.fillStyle = colour(node);
    ctx.fillRect(x, y, Math.max(w - 1, 0.5), ROW - 1);
    if (term && node.label.toLowerCase().includes(term)) {
      ctx.strokeStyle = "#a21caf"; ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, Math.max(w - 3, 0.5), ROW - 3);
    }
    if (w > 30) {
      ctx.fillStyle = "#111";
      const max = Math.floor((w - 6) / 6.6);
      const text = node.label.length > max ? node.label.slice(0, Math.max(max - 1, 0)) + "\u2026" : node.label;
      ctx.fillText(text, x + 3, y + ROW / 2);
    }
    rects.push({ x, y, w, node });
  }
  // Ancestors of the zoomed box span the whole width.
  const chain = [];
  for (let a = zoomed; a; a = a.parent) chain.unshift(a);
  chain.forEach((a, i) => box(a, 0, W, i * ROW));
  function layout(node, x, w) {
    let cx = x;
    const kids = [...node.kids.values()].filter((c) => weight(c) > 0)
      .sort((a, b) => a.label < b.label ? -1 : a.label > b.label ? 1 : 0);
    for (const c of kids) {
      const cw = total > 0 ? weight(c) / total * W : 0;
      if (cw >= 0.5) {
        box(c, cx, cw, (c.depth) * ROW);
        layout(c, cx, cw);
      }
      cx += cw;
    }
  }
  layout(zoomed, 0, W);
  $("crumbs").textContent = chain.map((a) => a.label).join(" \u203a ");
  if (total === 0) {
    ctx.fillStyle = "#666";
    ctx.fillText($("view").value === "new" ? "No samples in NEW for this scope (try the reverse view)." : "No samples in BASE for this scope.", 8, ROW * 1.5);
  }
}

function hit(ev) {
  const r = canvas.getBoundingClientRect();
  const x = ev.clientX - r.left, y = ev.clientY - r.top;
  for (let i = rects.length - 1; i >= 0; i--) {
    const q = rects[i];
    if (x >= q.x && x < q.x + q.w && y >= q.y && y < q.y + ROW) return q.node;
  }
  return null;
}

canvas.addEventListener("mousemove", (ev) => {
  const node = hit(ev);
  if (!node) { tip.style.display = "none"; return; }
  tip.replaceChildren();
  tip.appendChild(el("div", "name", node.label));
  if (node.full && node.full !== node.label) tip.appendChild(el("div", "full", node.full));
  if (node.module) tip.appendChild(el("div", "muted", node.module));
  const t = el("table");
  const b = norm.b(node.b), n = norm.n(node.n), d = n - b;
  for (const [k, v] of [["base", node.b + " samples, " + pct(b)], ["new", node.n + " samples, " + pct(n)],
                        ["change", signed(d) + " points" + (node.b === 0 ? " (only in new)" : node.n === 0 ? " (only in base)" : "")]]) {
    const tr = el("tr");
    tr.appendChild(el("td", null, k));
    tr.appendChild(el("td", k === "change" ? (d >= neutralBelow ? "grew" : d <= -neutralBelow ? "shrank" : "") : "", v));
    t.appendChild(tr);
  }
  tip.appendChild(t);
  tip.style.display = "block";
  const left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  const top = ev.clientY + 16 + tip.offsetHeight > window.innerHeight ? ev.clientY - tip.offsetHeight - 10 : ev.clientY + 16;
  tip.style.left = Math.max(4, left) + "px";
  tip.style.top = Math.max(4, top) + "px";
});
canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; });
canvas.addEventListener("click", (ev) => {
  const node = hit(ev);
  if (!node) return;
  zoomed = node === zoomed && node.parent ? node.parent : node;
  draw();
});
$("view").addEventListener("change", () => { zoomed = tree; draw(); });
scopeSel.addEventListener("change", rebuild);
$("search").addEventListener("input", draw);
$("reset").addEventListener("click", () => { zoomed = tree; draw(); });
window.addEventListener("resize", () => draw());

// ---- Tables ------------------------------------------------------------------------------
function sortableTable(table, columns, rows, initial, limit) {
  const thead = table.tHead, tbody = table.tBodies[0];
  let sortKey = initial.key, desc = initial.desc;
  const hr = el("tr");
  columns.forEach((c) => {
    const th = el("th", c.num ? "num" : "", c.title);
    if (c.tip) th.title = c.tip;
    th.addEventListener("click", () => {
      if (sortKey === c.key) desc = !desc; else { sortKey = c.key; desc = c.num; }
      render();
    });
    hr.appendChild(th);
  });
  thead.replaceChildren(hr);
  let current = rows;
  function render() {
    const col = columns.find((c) => c.key === sortKey);
    // Until a header is clicked: the order of the data (most changed first).
    const sorted = !col ? [...current] : [...current].sort((a, b) => {
      const x = col.value(a), y = col.value(b);
      const r = x < y ? -1 : x > y ? 1 : 0;
      return desc ? -r : r;
    });
    tbody.replaceChildren();
    for (const row of sorted.slice(0, limit)) {
      const tr = el("tr");
      for (const c of columns) tr.appendChild(c.cell(row));
      tbody.appendChild(tr);
    }
    if (sorted.length === 0) {
      const tr = el("tr"), td = el("td", "empty", "nothing to show");
      td.colSpan = columns.length;
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    return sorted.length;
  }
  return { setRows(r) { current = r; return render(); }, render };
}

function numCell(text, cls) { return el("td", "num" + (cls ? " " + cls : ""), text); }
function changeCell(v) {
  const mark = v.flagged ? "*" : "";
  return numCell(signed(v.change) + mark, v.flagged ? (v.change > 0 ? "grew" : "shrank") : "");
}

const fnColumns = [
  { key: "name", title: "function", value: (f) => f.shortName.toLowerCase(), cell: (f) => {
      const td = el("td", "fn", null);
      td.appendChild(el("span", null, f.shortName));
      td.appendChild(el("small", null, "  " + f.module + (f.presence !== "both" ? " \u00b7 only in " + f.presence : "")));
      td.title = f.name;
      return td;
    } },
  { key: "sb", title: "self base", num: true, value: (f) => f.self.basePercent, cell: (f) => numCell(pct(f.self.basePercent)) },
  { key: "sn", title: "self new", num: true, value: (f) => f.self.newPercent, cell: (f) => numCell(pct(f.self.newPercent)) },
  { key: "sd", title: "\u0394 self", num: true, tip: "percentage points; * = significant", value: (f) => f.self.change, cell: (f) => changeCell(f.self) },
  { key: "sp", title: "p self", num: true, value: (f) => -f.self.pValue, cell: (f) => numCell(pfmt(f.self.pValue)) },
  { key: "tb", title: "total base", num: true, value: (f) => f.total.basePercent, cell: (f) => numCell(pct(f.total.basePercent)) },
  { key: "tn", title: "total new", num: true, value: (f) => f.total.newPercent, cell: (f) => numCell(pct(f.total.newPercent)) },
  { key: "td", title: "\u0394 total", num: true, tip: "percentage points; * = significant", value: (f) => f.total.change, cell: (f) => changeCell(f.total) },
  { key: "tp", title: "p total", num: true, value: (f) => -f.total.pValue, cell: (f) => numCell(pfmt(f.total.pValue)) },
  { key: "counts", title: "samples base \u2192 new", num: true, value: (f) => f.total.new - f.total.base,
    cell: (f) => numCell(f.self.base + "/" + f.total.base + " \u2192 " + f.self.new + "/" + f.total.new) },
];
const fnTable = sortableTable($("fn-table"), fnColumns, D.functions, { key: "rank", desc: false }, 500);
function filterFunctions() {
  const term = $("fn-filter").value.trim().toLowerCase();
  const flagged = $("fn-flagged").checked;
  const rows = D.functions.filter((f) => (!flagged || f.self.flagged || f.total.flagged)
    && (!term || f.shortName.toLowerCase().includes(term) || f.name.toLowerCase().includes(term) || f.module.toLowerCase().includes(term)));
  const n = fnTable.setRows(rows);
  $("fn-count").textContent = n + " of " + D.functions.length + " functions" + (n > 500 ? " (first 500 shown)" : "");
}
$("fn-filter").addEventListener("input", filterFunctions);
$("fn-flagged").addEventListener("change", filterFunctions);
filterFunctions();

const pair = (p, f) => (p.base === null || p.base === undefined ? "-" : f(p.base)) + " \u2192 " + (p.new === null || p.new === undefined ? "-" : f(p.new));
const taskColumns = [
  { key: "label", title: "task", value: (t) => t.label.toLowerCase(), cell: (t) => el("td", "fn", t.label) },
  { key: "count", title: "tasks base \u2192 new", num: true, value: (t) => t.newTasks, cell: (t) => numCell(t.baseTasks + " \u2192 " + t.newTasks) },
  { key: "cb", title: "CPU base", num: true, value: (t) => t.cpu.basePercent, cell: (t) => numCell(pct(t.cpu.basePercent)) },
  { key: "cn", title: "CPU new", num: true, value: (t) => t.cpu.newPercent, cell: (t) => numCell(pct(t.cpu.newPercent)) },
  { key: "cd", title: "\u0394 CPU", num: true, value: (t) => t.cpu.change, cell: (t) => changeCell(t.cpu) },
  { key: "cp", title: "p", num: true, value: (t) => -t.cpu.pValue, cell: (t) => numCell(pfmt(t.cpu.pValue)) },
  { key: "poll", title: "poll p99", num: true, value: (t) => t.pollP99Ms.new || 0, cell: (t) => numCell(pair(t.pollP99Ms, ms)) },
  { key: "delay", title: "scheduling delay p99", num: true, value: (t) => t.schedulingDelayP99Ms.new || 0, cell: (t) => numCell(pair(t.schedulingDelayP99Ms, ms)) },
  { key: "lp", title: "long polls", num: true, value: (t) => t.longPolls.new || 0, cell: (t) => numCell(pair(t.longPolls, (v) => String(v))) },
];
sortableTable($("task-table"), taskColumns, D.taskTable, { key: "rank", desc: false }, 1000).render();

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
      tr.appendChild(numCell(f.baseCount));
      tr.appendChild(numCell(f.newCount));
      tr.appendChild(numCell(ms(f.baseMaxMs) + " \u2192 " + ms(f.newMaxMs)));
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
      $("view").value = v; zoomed = tree; draw();
      views[v] = { boxes: rects.length, rootWidth: weight(tree) };
    }
    result.views = views;
    $("view").value = "new";
    result.scopes = [];
    for (const o of [...scopeSel.options]) {
      scopeSel.value = o.value; rebuild();
      result.scopes.push({ scope: o.textContent, base: tree.b, new: tree.n, boxes: rects.length });
    }
    scopeSel.value = "all"; rebuild();
    const target = rects.find((q) => q.node.depth >= 2 && q.w > 4);
    if (target) {
      const r = canvas.getBoundingClientRect();
      const at = { clientX: r.left + target.x + 2, clientY: r.top + target.y + 3 };
      canvas.dispatchEvent(new MouseEvent("mousemove", at));
      result.tooltip = tip.textContent;
      canvas.dispatchEvent(new MouseEvent("click", at));
      result.zoomedTo = zoomed.label;
      result.crumbs = $("crumbs").textContent;
    }
    result.functionRows = $("fn-table").tBodies[0].rows.length;
    result.taskRows = $("task-table").tBodies[0].rows.length;
    result.ok = views.new.boxes > 0 && views.base.boxes > 0 && !!result.tooltip;
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
