(function () {
'use strict';
var tp = window.__taskprof;
var $ = tp.$, el = tp.el;   // common.js

// ---------------------------------------------------------------- formatting
var fmtInt = tp.fmtInt;
function fmtPct(x) {
  if (!isFinite(x)) return '–';
  var p = x * 100;
  return (p === 0 ? '0' : p < 0.1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : p.toFixed(1)) + '%';
}
function fmtNs(ns) {
  if (ns === null || ns === undefined) return '–';
  if (ns < 1e3) return ns + ' ns';
  if (ns < 1e6) return (ns / 1e3).toFixed(ns < 1e4 ? 1 : 0) + ' µs';
  if (ns < 1e9) return (ns / 1e6).toFixed(ns < 1e7 ? 2 : ns < 1e8 ? 1 : 0) + ' ms';
  return (ns / 1e9).toFixed(2) + ' s';
}
function plural(n, one, many) { return fmtInt(n) + ' ' + (n === 1 ? one : (many || one + 's')); }
function quote(s) { return '“' + s + '”'; }

// ---------------------------------------------------------------- data
var scriptStartMs = performance.now();
var tParse0 = performance.now();
var dataText = $('data').textContent;
var D = JSON.parse(dataText), dataChars = dataText.length;
dataText = null;
var parseMs = performance.now() - tParse0;
var tBuild0 = performance.now();
var meta = D.meta;

var nFuncs = D.funcs.length;
var funcShort = new Array(nFuncs), funcFull = new Array(nFuncs), funcModule = new Array(nFuncs);
var funcFile = new Array(nFuncs), funcLine = new Int32Array(nFuncs);
for (var i = 0; i < nFuncs; i++) {
  var f = D.funcs[i];
  funcShort[i] = f[0] || '?';
  funcFull[i] = f[1] || f[0] || '?';
  funcModule[i] = f[2] >= 0 ? (D.modules[f[2]] || '') : '';
  funcFile[i] = f[3] >= 0 ? (D.files[f[3]] || '') : '';
  funcLine[i] = f[4] || 0;
}
var nFrames = D.frames.length;
var frameFunc = new Int32Array(nFrames), frameFile = new Int32Array(nFrames), frameLine = new Int32Array(nFrames);
var frameFlags = new Uint8Array(nFrames);
for (i = 0; i < nFrames; i++) {
  var fr = D.frames[i];
  frameFunc[i] = fr[0]; frameFile[i] = fr[1]; frameLine[i] = fr[2]; frameFlags[i] = fr[3];
}

// Stacks (front-coded frame arrays, ordered by function path) -> a trie over functions. Each
// trie node is (parent node, function) and remembers the first frame that reached it, so file
// and line can be shown; `ftMixed` marks nodes reached through frames of different lines.
var nStacks = D.stacks.length;
var stackLeaf = new Int32Array(nStacks);
var ftCap = 1024, ftN = 0;
var ftParent = new Int32Array(ftCap), ftFunc = new Int32Array(ftCap), ftFrame = new Int32Array(ftCap);
var ftMixed = new Uint8Array(ftCap);
function ftGrow() {
  ftCap *= 2;
  var a = new Int32Array(ftCap); a.set(ftParent); ftParent = a;
  a = new Int32Array(ftCap); a.set(ftFunc); ftFunc = a;
  a = new Int32Array(ftCap); a.set(ftFrame); ftFrame = a;
  var b = new Uint8Array(ftCap); b.set(ftMixed); ftMixed = b;
}
var hasAsync = false;
for (i = 0; i < nFrames; i++) if (frameFlags[i] & 2) { hasAsync = true; break; }
var physicalView = window.__taskprof.physical && hasAsync;
// Physical view: expand the front-coding, leave the async frames out, sort the stacks by their
// new function paths (the trie below needs that order) and renumber every reference to them.
function physicalStacks() {
  var full = new Array(nStacks), prev = [], s, j;
  for (s = 0; s < nStacks; s++) {
    var a = D.stacks[s], cur = prev.slice(0, Math.min(a[0], prev.length));
    for (j = 1; j < a.length; j++) cur.push(a[j]);
    prev = cur;
    full[s] = cur.filter(function (f) { return !(frameFlags[f] & 2); });
  }
  var order = [];
  for (s = 0; s < nStacks; s++) order.push(s);
  order.sort(function (x, y) {
    var a = full[x], b = full[y], n = Math.min(a.length, b.length);
    for (var k = 0; k < n; k++) { var d = frameFunc[a[k]] - frameFunc[b[k]]; if (d) return d; }
    return a.length - b.length || x - y;
  });
  var renum = new Int32Array(nStacks);
  order.forEach(function (old, pos) { renum[old] = pos; });
  D.stacks = order.map(function (old) { return [0].concat(full[old]); });
  for (j = 2; j < D.samples.length; j += 4) D.samples[j] = renum[D.samples[j]];
  function fix(st) { for (var k = 0; k < st.length; k += 2) if (st[k] >= 0 && st[k] < nStacks) st[k] = renum[st[k]]; }
  (D.longPolls || []).forEach(function (lp) { fix(lp[5]); });
  (D.blocking || []).forEach(function (b) { if (b && b.stacks) fix(b.stacks); });
}
if (physicalView) physicalStacks();
(function decodeStacks() {
  var nodes = [], len = 0;
  for (var s = 0; s < nStacks; s++) {
    var a = D.stacks[s], shared = Math.min(a[0], len), newLen = shared + a.length - 1;
    var onPath = true;
    for (var d = shared; d < newLen; d++) {
      var frame = a[d - shared + 1], fn = frameFunc[frame];
      if (onPath && d < len && ftFunc[nodes[d]] === fn) {
        if (ftFrame[nodes[d]] !== frame) ftMixed[nodes[d]] = 1;
      } else {
        onPath = false;
        if (ftN === ftCap) ftGrow();
        ftParent[ftN] = d > 0 ? nodes[d - 1] : -1;
        ftFunc[ftN] = fn; ftFrame[ftN] = frame;
        nodes[d] = ftN++;
      }
    }
    len = newLen;
    stackLeaf[s] = len > 0 ? nodes[len - 1] : -1;
  }
  D.stacks = null;
})();
var decodeMs = performance.now() - tBuild0;

var tasks = D.tasks, threads = D.threads, samples = D.samples, processes = D.processes || [];
function taskLabel(t) { var x = tasks[t]; return x ? (x[1] !== null ? x[1] : 'task ' + x[0]) : 'task ?'; }
var kinds = D.kinds || [];
function taskKind(t) { var x = tasks[t]; return x && x[3] >= 0 ? kinds[x[3]] || null : null; }
// Under "Kinds" roots a named task keeps its name; an unnamed one is filed under its kind.
function rootLabelOf(t) { var k = state.rootsByKind && tasks[t] && tasks[t][1] === null ? taskKind(t) : null; return k !== null ? k : taskLabel(t); }
function threadLabel(h) { var x = threads[h]; return x ? x[4] : 'thread ?'; }
var totalSamples = 0;
var taskSamples = new Float64Array(tasks.length), threadSamples = new Float64Array(threads.length), noTaskSamples = 0;
for (i = 0; i < samples.length; i += 4) {
  var c = samples[i + 3];
  totalSamples += c;
  if (samples[i] >= 0) taskSamples[samples[i]] += c; else noTaskSamples += c;
  if (samples[i + 1] >= 0 && samples[i + 1] < threads.length) threadSamples[samples[i + 1]] += c;
}
var tasksByKind = new Map();
tasks.forEach(function (t, ti) {
  if (t[1] !== null || !(t[3] >= 0)) return;
  var l = tasksByKind.get(t[3]);
  if (!l) tasksByKind.set(t[3], l = []);
  l.push(ti);
});
var tasksByName = new Map();
tasks.forEach(function (t, ti) {
  if (t[1] === null) return;
  var l = tasksByName.get(t[1]);
  if (!l) tasksByName.set(t[1], l = []);
  l.push(ti);
});
var longPolls = D.longPolls || [], blocking = D.blocking || [];
var hasJobs = !!D.runtime || tasks.some(function (t) { return t[2] !== null; });

// ---------------------------------------------------------------- scopes
// A scope picks samples and names each its root: the task's label, or the thread's label for
// samples that ran outside any task.
function scopeDescription(sc) {
  switch (sc.kind) {
    case 'all': return 'All samples';
    case 'task': return 'Task ' + quote(taskLabel(sc.task)) + (tasks[sc.task][1] !== null ? ' (id ' + tasks[sc.task][0] + ')' : '');
    case 'name': return 'All ' + (tasksByName.get(sc.name) || []).length + ' tasks named ' + quote(sc.name);
    case 'kind': return 'All ' + (tasksByKind.get(sc.k) || []).length + ' unnamed tasks of kind ' + quote(kinds[sc.k] || '?');
    case 'thread': return 'Thread ' + quote(threadLabel(sc.thread));
    case 'process': return 'Process ' + quote(processes[sc.process] ? processes[sc.process][2] : '?');
    case 'poll': var lp = longPolls[sc.poll];
      return 'Long poll: ' + fmtNs(lp[4]) + ' in ' + quote(lp[0] >= 0 ? taskLabel(lp[0]) : 'no task') + ' at ' + fmtNs(lp[3]);
    case 'blocking': var b = blocking[sc.index]; return 'Blocking call: ' + (b && b.call ? b.call : '#' + sc.index);
    case 'offcpu': return 'Off-CPU: time blocked in ' + plural(blocking.length, 'blocking-call site');
  }
  return '';
}
// The sample groups of a scope as flat (root, stack, count) triples, with the roots' labels
// and kinds (1 = task, 2 = thread). Roots are found per task and thread index, not per group.
function scopeEntries(sc) {
  var roots = [], kinds = [], ids = new Map(), ents = [], i, t, h, r;
  function rootFor(kind, label) {
    var key = kind + ':' + label, id = ids.get(key);
    if (id === undefined) { id = roots.length; ids.set(key, id); roots.push(label); kinds.push(kind); }
    return id;
  }
  // A long poll's or blocking site's (stack, weight) pairs under its task, else its thread.
  function addStacks(ti, hi, st) {
    var rr = ti >= 0 ? rootFor(1, rootLabelOf(ti)) : rootFor(2, threadLabel(hi));
    // A long poll's captured stack (its one-off stack when no CPU sample landed in it) has count 0
    // and weight 1.
    for (var j = 0; j < st.length; j += 2) if (st[j] >= 0 && st[j] < nStacks) ents.push(rr, st[j], st[j + 1] || 1);
  }
  function addSite(b) { if (b) addStacks(b.task !== undefined ? b.task : -1, b.thread !== undefined ? b.thread : -1, b.stacks || []); }
  if (sc.kind === 'offcpu' || sc.kind === 'blocking' || sc.kind === 'poll') {
    // offcpu: every blocking site at once, weighted by blocked microseconds.
    if (sc.kind === 'offcpu') blocking.forEach(addSite);
    else if (sc.kind === 'blocking') addSite(blocking[sc.index]);
    else { var lp = longPolls[sc.poll]; if (lp) addStacks(lp[0], lp[1], lp[5]); }
    return { roots: roots, kinds: kinds, ents: ents };
  }
  var taskRoot = new Int32Array(tasks.length).fill(-1), threadRoot = new Int32Array(threads.length + 1).fill(-1);
  var want = null, kind = sc.kind;
  if (kind === 'name') { want = new Uint8Array(tasks.length); (tasksByName.get(sc.name) || []).forEach(function (x) { want[x] = 1; }); }
  if (kind === 'kind') { want = new Uint8Array(tasks.length); (tasksByKind.get(sc.k) || []).forEach(function (x) { want[x] = 1; }); }
  for (i = 0; i < samples.length; i += 4) {
    t = samples[i]; h = samples[i + 1];
    if (kind !== 'all') {
      if (kind === 'task' ? t !== sc.task : kind === 'thread' ? h !== sc.thread
          : kind === 'process' ? !(threads[h] && threads[h][5] === sc.process) : (t < 0 || !want[t])) continue;
    }
    if (t >= 0) {
      r = taskRoot[t];
      if (r < 0) r = taskRoot[t] = rootFor(1, rootLabelOf(t));
    } else {
      var hx = h >= 0 && h < threads.length ? h : threads.length;
      r = threadRoot[hx];
      if (r < 0) r = threadRoot[hx] = rootFor(2, threadLabel(h));
    }
    ents.push(r, samples[i + 2], samples[i + 3]);
  }
  return { roots: roots, kinds: kinds, ents: ents };
}

// ---------------------------------------------------------------- trees
// Trie nodes are numbered in preorder (stacks come sorted by function path), so the subtree
// of node f is the id range [f, ftEnd[f]).
var ftEnd = new Int32Array(ftN);
for (i = ftN - 1; i >= 0; i--) {
  if (ftEnd[i] < i + 1) ftEnd[i] = i + 1;
  var fpar = ftParent[i];
  if (fpar >= 0 && ftEnd[fpar] < ftEnd[i]) ftEnd[fpar] = ftEnd[i];
}
// True when every node's parent is on the path to the node before it (preorder holds).
function triePreorderOk() {
  var path = [];
  for (var j = 0; j < ftN; j++) {
    var p = ftParent[j];
    while (path.length && path[path.length - 1] !== p) path.pop();
    if (p >= 0 && !path.length) return false;
    path.push(j);
  }
  return true;
}

// Both tree kinds below share this shape: node 0 is the scope (or the function of a
// caller/callee view); `key` is a function index, or -1 - label index for label nodes
// (0 = scope, 1 = task, 2 = thread); `src` is the trie node a box stands for (-1 for labels);
// `layout(n)` sorts n's children (most samples first), places them, and `kids(n)` lists them.
var treeProto = {
  name: function (i) { var k = this.key[i]; return k >= 0 ? funcShort[k] : this.labels[-k - 1]; },
  labelKind: function (i) { var k = this.key[i]; return k >= 0 ? -1 : this.labelKinds[-k - 1]; },
  kids: function (n) { this.layout(n); return this.kidsOf[n]; }
};

// Lazily built trees. Boxes are made only when their parent is drawn (`layout`), so a
// profile with millions of distinct frames costs only what the view shows. Subclasses give
// `expand(p)`: the children of box p, made with `make`.
function LazyTree() {}
LazyTree.prototype = Object.create(treeProto);
LazyTree.prototype.init = function (key, label, total, self) {
  this.labels = label === null ? [] : [label]; this.labelKinds = label === null ? [] : [0];
  this.parent = [-1]; this.key = [key]; this.src = [-1]; this.depth = [0]; this.root = [-1]; this.items = [null];
  this.total = [total]; this.self = [self]; this.x = [0]; this.kidsOf = [];
  this.n = 1;
};
LazyTree.prototype.make = function (parent, key, src, root, total, self, items) {
  var i = this.n++;
  this.parent.push(parent); this.key.push(key); this.src.push(src); this.root.push(root); this.items.push(items || null);
  this.depth.push(this.depth[parent] + 1); this.total.push(total); this.self.push(self); this.x.push(0);
  return i;
};
LazyTree.prototype.makeLabel = function (parent, label, kind, root, total, self) {
  this.labels.push(label); this.labelKinds.push(kind);
  return this.make(parent, -this.labels.length, -1, root, total, self, null);
};
LazyTree.prototype.layout = function (p) {
  if (this.kidsOf[p]) return;
  var kids = this.expand(p), total = this.total;
  kids.sort(function (u, v) { return total[v] - total[u] || u - v; });
  var cx = this.x[p];
  for (var j = 0; j < kids.length; j++) { this.x[kids[j]] = cx; cx += total[kids[j]]; }
  this.kidsOf[p] = kids;
};
function lowerBound(L, lo, hi, v) {
  while (lo < hi) { var mid = (lo + hi) >> 1; if (L[mid] < v) lo = mid + 1; else hi = mid; }
  return lo;
}

// The main flame graph of a scope. A box is (root label r, trie node f); its total is the sum
// of r's sample groups whose leaf lies in [f, ftEnd[f]), found by binary search in r's groups
// sorted by leaf. `allLeaves`/`allCum` hold the same groups without the roots, for the
// caller/callee views.
function ScopeTree(sc) {
  var se = scopeEntries(sc), ents = se.ents, nR = se.roots.length, nE = ents.length / 3, j;
  // groups by root, then by stack (leaves are non-decreasing in stack order)
  var sc2 = new Int32Array(nStacks + 1), byStack = new Int32Array(nE);
  for (j = 0; j < ents.length; j += 3) sc2[ents[j + 1] + 1]++;
  for (j = 0; j < nStacks; j++) sc2[j + 1] += sc2[j];
  for (j = 0; j < ents.length; j += 3) byStack[sc2[ents[j + 1]]++] = j;
  var rs = new Int32Array(nR + 1);
  for (j = 0; j < ents.length; j += 3) rs[ents[j] + 1]++;
  for (j = 0; j < nR; j++) rs[j + 1] += rs[j];
  var fill = rs.slice(0, nR), leaves = new Int32Array(nE), cum = new Float64Array(nE + 1), w = new Float64Array(nE);
  var allLeaves = new Int32Array(nE), allCum = new Float64Array(nE + 1);
  for (j = 0; j < nE; j++) {
    var e = byStack[j], at = fill[ents[e]]++, leaf = stackLeaf[ents[e + 1]];
    leaves[at] = leaf; w[at] = ents[e + 2];
    allLeaves[j] = leaf; allCum[j + 1] = allCum[j] + ents[e + 2];
  }
  for (j = 0; j < nE; j++) cum[j + 1] = cum[j] + w[j];
  this.rootStart = rs; this.leaves = leaves; this.cum = cum; this.nE = nE;
  this.allLeaves = allLeaves; this.allCum = allCum;
  this.rootNames = se.roots; this.rootKinds = se.kinds;
  this.init(-1, scopeDescription(sc), cum[nE], 0);
}
ScopeTree.prototype = Object.create(LazyTree.prototype);
// First index in root r's groups whose leaf is >= v.
ScopeTree.prototype.lower = function (r, v) { return lowerBound(this.leaves, this.rootStart[r], this.rootStart[r + 1], v); };
ScopeTree.prototype.lowerAll = function (v) { return lowerBound(this.allLeaves, 0, this.nE, v); };
ScopeTree.prototype.expand = function (p) {
  var kids = [], cum = this.cum;
  if (p === 0) {
    for (var r = 0; r < this.rootNames.length; r++) {
      var a0 = this.rootStart[r], b0 = this.rootStart[r + 1], s0 = this.lower(r, 0);
      kids.push(this.makeLabel(0, this.rootNames[r], this.rootKinds[r], r, cum[b0] - cum[a0], cum[s0] - cum[a0]));
    }
    return kids;
  }
  var r2 = this.root[p], f = this.src[p], lo = f < 0 ? 0 : f + 1, hi = f < 0 ? ftN : ftEnd[f];
  var i = this.lower(r2, lo), end = this.lower(r2, hi), L = this.leaves;
  while (i < end) {
    var c = L[i];
    while (ftParent[c] !== f) c = ftParent[c];
    var next = this.lower(r2, ftEnd[c]), selfEnd = this.lower(r2, c + 1);
    kids.push(this.make(p, ftFunc[c], c, r2, cum[next] - cum[i], cum[selfEnd] - cum[i]));
    i = next;
  }
  return kids;
};
// Samples under a box whose function (or label) matches, counted once per stack.
ScopeTree.prototype.matchedTotal = function (fm, labelMatch) {
  var pm = new Uint8Array(ftN), j, sum = 0;
  for (j = 0; j < ftN; j++) pm[j] = fm[ftFunc[j]] | (ftParent[j] >= 0 ? pm[ftParent[j]] : 0);
  for (var r = 0; r < this.rootNames.length; r++) {
    var a = this.rootStart[r], b = this.rootStart[r + 1];
    if (labelMatch(this.rootNames[r])) { sum += this.cum[b] - this.cum[a]; continue; }
    for (j = a; j < b; j++) if (this.leaves[j] >= 0 && pm[this.leaves[j]]) sum += this.cum[j + 1] - this.cum[j];
  }
  return sum;
};
function buildScopeTree(sc) { return new ScopeTree(sc); }

// What a function calls, within a scope: the trie subtrees under its outermost calls, merged
// by function. A box holds the trie nodes it merges (`items`).
function CalleeTree(st, func, occ) {
  var total = 0, self = 0;
  for (var j = 0; j < occ.length; j++) {
    var a = st.lowerAll(occ[j]);
    total += st.allCum[st.lowerAll(ftEnd[occ[j]])] - st.allCum[a];
    self += st.allCum[st.lowerAll(occ[j] + 1)] - st.allCum[a];
  }
  this.st = st;
  this.init(func, null, total, self);
  this.items[0] = occ; this.src[0] = occ.length ? occ[0] : -1;
}
CalleeTree.prototype = Object.create(LazyTree.prototype);
CalleeTree.prototype.expand = function (p) {
  var st = this.st, L = st.allLeaves, cum = st.allCum, groups = new Map(), items = this.items[p] || [];
  for (var j = 0; j < items.length; j++) {
    var f = items[j], i = st.lowerAll(f + 1), end = st.lowerAll(ftEnd[f]);
    while (i < end) {
      var c = L[i];
      while (ftParent[c] !== f) c = ftParent[c];
      var next = st.lowerAll(ftEnd[c]), selfEnd = st.lowerAll(c + 1), g = groups.get(ftFunc[c]);
      if (!g) groups.set(ftFunc[c], g = { items: [], total: 0, self: 0 });
      g.items.push(c); g.total += cum[next] - cum[i]; g.self += cum[selfEnd] - cum[i];
      i = next;
    }
  }
  var kids = [], self = this;
  groups.forEach(function (g, fn) { kids.push(self.make(p, fn, g.items[0], -1, g.total, g.self, g.items)); });
  return kids;
};

// Who calls a function, within a scope, inverted: the function, its callers, their callers…
// up to the task or thread. A box holds (trie node, samples, root) triples, one per path.
function CallerTree(st, func, triples) {
  var total = 0;
  for (var j = 1; j < triples.length; j += 3) total += triples[j];
  this.st = st;
  this.init(func, null, total, 0);
  this.items[0] = triples; this.src[0] = triples.length ? triples[0] : -1;
}
CallerTree.prototype = Object.create(LazyTree.prototype);
CallerTree.prototype.expand = function (p) {
  var st = this.st, items = this.items[p] || [], groups = new Map(), labels = new Map();
  for (var j = 0; j < items.length; j += 3) {
    var a = items[j], w = items[j + 1], r = items[j + 2], par = ftParent[a], g;
    if (par >= 0) {
      g = groups.get(ftFunc[par]);
      if (!g) groups.set(ftFunc[par], g = { items: [], total: 0 });
      g.items.push(par, w, r); g.total += w;
    } else {
      labels.set(r, (labels.get(r) || 0) + w);
    }
  }
  var kids = [], self = this;
  groups.forEach(function (g, fn) { kids.push(self.make(p, fn, g.items[0], -1, g.total, 0, g.items)); });
  labels.forEach(function (w, r) { kids.push(self.makeLabel(p, st.rootNames[r], st.rootKinds[r], r, w, w)); });
  return kids;
};

// Callers and callees of a function in the current scope. The outermost call of the function
// in each stack counts, so both views add up to the function's total.
function buildSandwich(st, func) {
  var outer = new Int32Array(ftN), occ = [], j;
  for (j = 0; j < ftN; j++) {
    var p = ftParent[j], o = p >= 0 ? outer[p] - 1 : -1;
    if (o < 0 && ftFunc[j] === func) o = j;
    outer[j] = o + 1;
  }
  // one pass over each root's groups (sorted by leaf, so one call's groups are adjacent)
  var triples = [], seen = new Uint8Array(ftN);
  for (var r = 0; r < st.rootNames.length; r++) {
    var cur = -1, w = 0;
    for (j = st.rootStart[r]; j < st.rootStart[r + 1]; j++) {
      var leaf = st.leaves[j], oc = leaf >= 0 ? outer[leaf] - 1 : -1;
      if (oc !== cur) { if (cur >= 0 && w > 0) triples.push(cur, w, r); cur = oc; w = 0; }
      w += st.cum[j + 1] - st.cum[j];
    }
    if (cur >= 0 && w > 0) triples.push(cur, w, r);
  }
  for (j = 0; j < triples.length; j += 3) if (!seen[triples[j]]) { seen[triples[j]] = 1; occ.push(triples[j]); }
  occ.sort(function (a, b) { return a - b; });
  return { callers: new CallerTree(st, func, triples), callees: new CalleeTree(st, func, occ) };
}

// Weight per stack within a scope, and per (root label, stack) when labels matter.
function stackWeights(sc) {
  var w = new Float64Array(nStacks), total = 0, ents = scopeEntries(sc).ents;
  for (var j = 0; j < ents.length; j += 3) { w[ents[j + 1]] += ents[j + 2]; total += ents[j + 2]; }
  return { w: w, total: total };
}

// Self and total samples per function within a scope; recursion counts once per stack.
function functionStats(sc) {
  var sw = stackWeights(sc), w = sw.w;
  var selfC = new Float64Array(nFuncs), totalC = new Float64Array(nFuncs), seen = new Int32Array(nFuncs), stamp = 0;
  for (var s = 0; s < nStacks; s++) {
    var x = w[s];
    if (!x) continue;
    var n = stackLeaf[s];
    if (n < 0) continue;
    selfC[ftFunc[n]] += x;
    stamp++;
    for (; n >= 0; n = ftParent[n]) {
      var fn = ftFunc[n];
      if (seen[fn] !== stamp) { seen[fn] = stamp; totalC[fn] += x; }
    }
  }
  var rows = [];
  for (var i = 0; i < nFuncs; i++) if (totalC[i] > 0) rows.push({ f: i, self: selfC[i], total: totalC[i] });
  return { rows: rows, total: sw.total };
}

// ---------------------------------------------------------------- colours
function hashStr(s) {
  var h = 2166136261;
  for (var j = 0; j < s.length; j++) h = Math.imul(h ^ s.charCodeAt(j), 16777619);
  return h >>> 0;
}
var sysModule = /^(libswift|libc[.-]|libc$|libdispatch|libFoundation|libpthread|libm[.-]|libstdc\+\+|libgcc|libunwind|libicu|ld-linux|ld-|libBlocksRuntime|libtaskprof|\[)/i;
var funcColor = new Array(nFuncs), funcDim = new Array(nFuncs);
function colorOf(fn) {
  var c = funcColor[fn];
  if (c) return c;
  var h = hashStr(funcShort[fn]), sys = sysModule.test(funcModule[fn]);
  var hue = sys ? 36 + h % 16 : 2 + h % 32;
  var sat = sys ? 58 + (h >>> 8) % 18 : 74 + (h >>> 8) % 18;
  var light = sys ? 60 + (h >>> 16) % 9 : 55 + (h >>> 16) % 10;
  funcDim[fn] = 'hsl(' + hue + ',18%,86%)';
  return (funcColor[fn] = 'hsl(' + hue + ',' + sat + '%,' + light + '%)');
}
// Logical frames (awaiting async callers) in blues, so they read apart from what ran.
var asyncColor = new Array(nFuncs);
function asyncColorOf(fn) {
  return asyncColor[fn] || (asyncColor[fn] = 'hsl(' + (196 + hashStr(funcShort[fn]) % 22) + ',62%,' + (64 + (hashStr(funcShort[fn]) >>> 8) % 8) + '%)');
}
var labelColors = ['#57534e', '#8f4f6f', '#5b6b7d'];   // scope, task, thread
var labelDim = ['#cfccc8', '#e3ccd6', '#ccd3db'];
var MATCH = '#c026d3';

// ---------------------------------------------------------------- flame view
// The view itself is common.js's FlameView; this page says how a box looks (function colours,
// labels for scopes, tasks and threads, search matches in magenta) and what its tooltip shows.
var FlameView = tp.FlameView;
var tooltip = $('tooltip');
function boxStyle(n, t, view) {
  var k = t.key[n], lk = k >= 0 ? -1 : t.labelKinds[-k - 1], match = view.match;
  if (match) {
    if (k >= 0 ? match.funcs[k] === 1 : (n > 0 && match.label(t.labels[-k - 1]))) return [MATCH, true];
    return [lk >= 0 ? labelDim[lk] : (colorOf(k), funcDim[k]), false];
  }
  if (lk >= 0) return [labelColors[lk], true];
  return [t.src[n] >= 0 && (frameFlags[ftFrame[t.src[n]]] & 2) ? asyncColorOf(k) : colorOf(k), false];
}
// Options every flame view of this page shares: its look and its tooltips.
function flameOptions(opts) {
  opts.style = boxStyle;
  opts.onHover = function (t, n, cx, cy, v) { showTooltip(t, n, cx, cy, opts.percentOf ? opts.percentOf(v) : t.total[0]); };
  opts.onRest = function (t, rb, cx, cy, v) { showRestTooltip(t, rb, cx, cy, opts.percentOf ? opts.percentOf(v) : t.total[0]); };
  opts.onLeave = hideTooltip;
  return opts;
}

function hideTooltip() { tooltip.hidden = true; }
function placeTooltip(cx, cy) { tp.placeTip(tooltip, cx, cy); }
// Off-CPU scopes weigh stacks by blocked microseconds, every other scope by samples.
function blockedScope() { return state.scope.kind === 'blocking' || state.scope.kind === 'offcpu'; }
function fmtWeight(v) { return blockedScope() ? fmtNs(v * 1000) : fmtInt(v); }
function weightName() { return blockedScope() ? 'Blocked' : 'Samples'; }
function showRestTooltip(t, rb, cx, cy, grand) {
  tooltip.textContent = '';
  tooltip.appendChild(el('div', 't', plural(rb.count, 'more frame') + ' under ' + t.name(rb.parent)));
  tooltip.appendChild(el('div', 'l', 'Each is too narrow to draw at this zoom. Click to zoom into ' + t.name(rb.parent) + '.'));
  var tb = el('table'), tr = el('tr');
  tr.appendChild(el('td', null, weightName()));
  tr.appendChild(el('td', null, fmtWeight(rb.total) + '  (' + fmtPct(rb.total / (grand || 1)) + ' of total)'));
  tb.appendChild(tr); tooltip.appendChild(tb);
  placeTooltip(cx, cy);
}
function showTooltip(t, n, cx, cy, grand) {
  tooltip.textContent = '';
  var k = t.key[n], total = t.total[n], parent = t.parent[n];
  if (k >= 0) {
    tooltip.appendChild(el('div', 't', funcShort[k]));
    if (funcFull[k] !== funcShort[k]) tooltip.appendChild(el('div', 'f', funcFull[k]));
    var src = t.src[n], file = funcFile[k], line = funcLine[k], extra = '';
    if (src >= 0) {
      var fr = ftFrame[src];
      if (frameFile[fr] >= 0) { file = D.files[frameFile[fr]]; line = frameLine[fr]; }
      if (ftMixed[src]) extra = ' (and other lines)';
      if (frameFlags[fr] & 1) extra += ' · inlined';
      if (frameFlags[fr] & 2) extra += ' · async: awaiting the frame above';
    }
    var loc = funcModule[k] + (file ? ' · ' + file + (line ? ':' + line : '') : '') + extra;
    tooltip.appendChild(el('div', 'l', loc));
  } else {
    var lk = t.labelKinds[-k - 1];
    tooltip.appendChild(el('div', 't', t.labels[-k - 1]));
    tooltip.appendChild(el('div', 'l', lk === 0 ? 'scope' : lk === 1 ? 'task' : 'thread (samples outside any task)'));
  }
  var tb = el('table'), rows = [
    [weightName(), fmtWeight(total) + '  (' + fmtPct(total / (grand || 1)) + ' of total)'],
    ['Of parent', parent >= 0 ? fmtPct(total / (t.total[parent] || 1)) : '–'],
    ['Self', fmtWeight(t.self[n]) + '  (' + fmtPct(t.self[n] / (grand || 1)) + ')']
  ];
  rows.forEach(function (r) { var tr = el('tr'); tr.appendChild(el('td', null, r[0])); tr.appendChild(el('td', null, r[1])); tb.appendChild(tr); });
  tooltip.appendChild(tb);
  placeTooltip(cx, cy);
}

// ---------------------------------------------------------------- state
var state = { scope: { kind: 'all' }, tree: null, func: -1, search: '' };
var mainView = new FlameView($('flame'), $('flame-hover'), flameOptions({
  onClick: function (n, v) { v.setZoom(n); },
  zoomOnRest: true,
  onZoom: function () { renderCrumbs(); },
  percentOf: function (v) { return v.tree.total[0]; }
}));
var callersView = new FlameView($('callers'), $('callers-hover'), flameOptions({
  icicle: false, rowH: 17, minRows: 2, maxRows: 60,
  onClick: function (n, v) { var k = v.tree.key[n]; if (k >= 0 && k !== state.func) selectFunction(k); },
  percentOf: function () { return state.tree ? state.tree.total[0] : 1; }
}));
var calleesView = new FlameView($('callees'), $('callees-hover'), flameOptions({
  icicle: true, rowH: 17, minRows: 2, maxRows: 60,
  onClick: function (n, v) { var k = v.tree.key[n]; if (k >= 0 && k !== state.func) selectFunction(k); },
  percentOf: function () { return state.tree ? state.tree.total[0] : 1; }
}));

function renderCrumbs() {
  var nav = $('crumbs'), t = mainView.tree, z = mainView.zoom, path = [];
  nav.textContent = '';
  if (!t) return;
  for (var n = z; n >= 0; n = t.parent[n]) path.unshift(n);
  var show = path;
  if (path.length > 9) show = path.slice(0, 3).concat([-1]).concat(path.slice(path.length - 5));
  show.forEach(function (n, i) {
    if (i > 0) nav.appendChild(el('span', 'sep', '›'));
    if (n === -1) { nav.appendChild(el('span', 'sep', '…')); return; }
    var b = el('button', n === z ? 'cur' : '', t.name(n));
    b.type = 'button';
    b.title = t.name(n) + ' — ' + fmtWeight(t.total[n]) + (blockedScope() ? ' blocked' : ' samples');
    if (n !== z) b.addEventListener('click', function () { mainView.setZoom(n); });
    nav.appendChild(b);
  });
}

function setScope(sc) {
  state.scope = sc;
  var t = buildScopeTree(sc);
  state.tree = t;
  $('flame-empty').hidden = t.total[0] > 0;
  $('flame-wrap').hidden = !(t.total[0] > 0);
  mainView.tree = t;
  applySearch(false);
  mainView.setTree(t);
  renderCrumbs();
  renderScopeBar();
  if (taskTable) taskTable.render();
  if (threadTable) threadTable.render();
  if (processTable) processTable.render();
  if (pollTable) pollTable.render();
  renderFunctions();
}

function renderScopeBar() {
  var sc = state.scope;
  $('scope-all').classList.toggle('on', sc.kind === 'all');
  $('scope-offcpu').classList.toggle('on', sc.kind === 'offcpu');
  $('scope-chip').hidden = sc.kind === 'all';
  $('scope-desc').textContent = scopeDescription(sc);
  $('scope-desc').title = scopeDescription(sc);
  var nb = $('scope-name');
  nb.hidden = true;
  if (sc.kind === 'task' && tasks[sc.task][1] !== null) {
    var same = tasksByName.get(tasks[sc.task][1]) || [];
    if (same.length > 1) {
      nb.hidden = false;
      nb.textContent = 'All ' + same.length + ' tasks named ' + quote(tasks[sc.task][1]);
      nb.onclick = function () { setScope({ kind: 'name', name: tasks[sc.task][1] }); };
    }
  }
}

// ---------------------------------------------------------------- search
function searchMatcher(q) {
  q = q.trim();
  if (!q) return null;
  if (q.length > 2 && q[0] === '/' && q[q.length - 1] === '/') {
    try { var re = new RegExp(q.slice(1, -1), 'i'); return function (s) { return re.test(s); }; } catch (e) { return null; }
  }
  var lq = q.toLowerCase();
  return function (s) { return s.toLowerCase().indexOf(lq) >= 0; };
}
function applySearch(redraw) {
  var t = mainView.tree, info = $('search-info');
  var m = searchMatcher(state.search);
  if (!t || !m) { mainView.match = null; info.textContent = ''; if (redraw !== false) mainView.draw(); state.searchShare = null; return; }
  var fm = new Uint8Array(nFuncs);
  for (var j = 0; j < nFuncs; j++) fm[j] = (m(funcShort[j]) || m(funcFull[j])) ? 1 : 0;
  mainView.match = { funcs: fm, label: m };
  if (redraw !== false) mainView.draw();
  var sum = t.matchedTotal(fm, m), share = sum / (t.total[0] || 1);
  state.searchShare = share;
  info.textContent = '';
  info.appendChild(document.createTextNode('Matched '));
  info.appendChild(el('b', null, fmtPct(share)));
  info.appendChild(document.createTextNode(' of samples (' + fmtInt(sum) + ')'));
}
var searchTimer = 0;
$('search').addEventListener('input', function (e) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(function () { state.search = e.target.value; applySearch(); }, 120);
});

// ---------------------------------------------------------------- tables
var SortTable = tp.SortTable;   // common.js

function shareCell(x) {
  var d = el('div', 'sharecell'), bar = el('div', 'sharebar'), fill = el('i');
  fill.style.width = Math.min(100, Math.max(0, x * 100)).toFixed(1) + '%';
  bar.appendChild(fill); d.appendChild(document.createTextNode(fmtPct(x))); d.appendChild(bar);
  return d;
}

// Tasks
var taskRows = tasks.map(function (t, ti) {
  return { i: ti, id: t[0], name: t[1], samples: taskSamples[ti], jobs: t[2],
    blocking: 0 };
});
blocking.forEach(function (b) { if (b && b.task >= 0 && taskRows[b.task]) taskRows[b.task].blocking++; });
var taskCols = [
  { title: 'Task', num: true, get: function (r) { return typeof r.id === 'number' ? r.id : Number(r.id); }, cell: function (r) { return String(r.id); }, desc: false },
  { title: 'Name', get: function (r) { return r.name === null ? '' : r.name; }, cls: 'name grow', desc: false,
    cell: function (r) {
      var span = el('span');
      if (r.name === null) {
        var kd = taskKind(r.i);
        span.appendChild(el('span', 'dim', kd !== null ? kd : '(unnamed)'));
        if (kd !== null) span.title = 'Unnamed task started by ' + kd;
        var sameKind = kd !== null ? (tasksByKind.get(tasks[r.i][3]) || []) : [];
        if (sameKind.length > 1) {
          var kp = el('button', 'pill', 'all ' + sameKind.length);
          kp.type = 'button';
          kp.title = 'Scope to all ' + sameKind.length + ' unnamed tasks of this kind';
          kp.addEventListener('click', function (e) { e.stopPropagation(); setScope({ kind: 'kind', k: tasks[r.i][3] }); });
          span.appendChild(kp);
        }
      }
      else { span.appendChild(document.createTextNode(r.name)); span.title = r.name; }
      var same = r.name !== null ? (tasksByName.get(r.name) || []) : [];
      if (same.length > 1) {
        var p = el('button', 'pill', 'all ' + same.length);
        p.type = 'button';
        p.title = 'Scope to all ' + same.length + ' tasks named ' + quote(r.name);
        p.addEventListener('click', function (e) { e.stopPropagation(); setScope({ kind: 'name', name: r.name }); });
        span.appendChild(p);
      }
      return span;
    } },
  { title: 'Samples', num: true, get: function (r) { return r.samples; }, cell: function (r) { return fmtInt(r.samples); } },
  { title: 'CPU share', num: true, get: function (r) { return r.samples; }, cell: function (r) { return shareCell(r.samples / (totalSamples || 1)); } }
];
// Task ids are per process: with several, each task names its process.
if (processes.length > 1) {
  taskCols.splice(1, 0, { title: 'Pid', tip: 'The process the task ran in (see Processes)', num: true, desc: false,
    get: function (r) { var p = processes[tasks[r.i][4]]; return p ? p[0] + p[1] / 100 : 0; },
    cell: function (r) { var p = processes[tasks[r.i][4]]; var s = el('span', null, p ? (p[1] ? p[0] + '.' + p[1] : String(p[0])) : '?'); if (p) s.title = p[2]; return s; } });
}
if (hasJobs) {
  taskCols.push(
    { title: 'Polls', num: true, tip: 'Runs of the task between two suspension points', get: function (r) { return r.jobs ? r.jobs[0] : null; }, cell: function (r) { return r.jobs ? fmtInt(r.jobs[0]) : '–'; } },
    { title: 'Long polls', num: true, tip: 'Polls longer than the threshold', get: function (r) { return r.jobs ? r.jobs[1] : null; },
      cell: function (r) { if (!r.jobs) return '–'; var s = el('span', r.jobs[1] > 0 ? 'lpdur' : 'dim', fmtInt(r.jobs[1])); return s; } },
    { title: 'Poll p99', num: true, tip: 'Duration of a poll, 99th percentile', get: function (r) { return r.jobs ? r.jobs[4] : null; }, cell: function (r) { return r.jobs ? fmtNs(r.jobs[4]) : '–'; } },
    { title: 'Delay p99', num: true, tip: 'Scheduling delay, 99th percentile: from enqueue (or a sleep deadline) to the start of the run', get: function (r) { return r.jobs ? r.jobs[7] : null; }, cell: function (r) { return r.jobs ? fmtNs(r.jobs[7]) : '–'; } }
  );
}
if (blocking.length) {
  taskCols.push({ title: 'Blocking', num: true, get: function (r) { return r.blocking; }, cell: function (r) { return fmtInt(r.blocking); } });
}
var taskTable = new SortTable($('tasks'), taskCols, {
  sortCol: 2, limit: 200, emptyText: 'No Swift tasks were seen.',
  onSelect: function (r) { setScope({ kind: 'task', task: r.i }); },
  isSelected: function (r) { return state.scope.kind === 'task' && state.scope.task === r.i; }
});
$('task-filter').addEventListener('input', function (e) {
  var m = searchMatcher(e.target.value);
  taskTable.filter = m ? function (r) { return m(r.name === null ? 'task ' + r.id + ' ' + (taskKind(r.i) || '') : r.name) || m(String(r.id)); } : null;
  taskTable.render();
});

// Threads
var threadRows = threads.map(function (t, hi) { return { i: hi, tid: t[0], label: t[4], kind: t[2], jobs: t[3], samples: threadSamples[hi] }; });
var threadCols = [
  { title: 'Thread', get: function (r) { return r.label; }, cls: 'name grow', desc: false, cell: function (r) { var s = el('span', null, r.label); s.title = r.label; return s; } },
  { title: 'Kind', get: function (r) { return r.kind; }, desc: false },
  { title: 'Samples', num: true, get: function (r) { return r.samples; }, cell: function (r) { return fmtInt(r.samples); } },
  { title: 'Share', num: true, get: function (r) { return r.samples; }, cell: function (r) { return fmtPct(r.samples / (totalSamples || 1)); } }
];
if (hasJobs) threadCols.push({ title: 'Jobs run', num: true, get: function (r) { return r.jobs; }, cell: function (r) { return fmtInt(r.jobs); } });
var threadTable = new SortTable($('threads'), threadCols, {
  sortCol: 2, limit: 100, emptyText: 'No threads recorded.',
  onSelect: function (r) { setScope({ kind: 'thread', thread: r.i }); },
  isSelected: function (r) { return state.scope.kind === 'thread' && state.scope.thread === r.i; }
});

// Processes (a run that followed children): one row each; a row scopes the page to it.
var processTable = null;
if (processes.length > 1) {
  var processSamples = new Float64Array(processes.length);
  for (i = 0; i < samples.length; i += 4) { var th = threads[samples[i + 1]]; if (th && th[5] < processes.length) processSamples[th[5]] += samples[i + 3]; }
  var processRows = processes.map(function (p, k) {
    return { i: k, label: p[2], command: p[3], exit: p[4], start: p[5], length: p[6], hottest: p[7], samples: processSamples[k] };
  });
  processTable = new SortTable($('processes'), [
    { title: 'Process', get: function (r) { return r.label; }, cls: 'name', desc: false },
    { title: 'Command line', get: function (r) { return r.command; }, cls: 'name grow', desc: false,
      cell: function (r) { var s = el('span', null, r.command); s.title = r.command + ' (' + r.exit + ')'; return s; } },
    { title: 'Hottest function of its own', get: function (r) { return r.hottest || ''; }, cls: 'name', desc: false },
    { title: 'Start', num: true, get: function (r) { return r.start; }, cell: function (r) { return fmtNs(r.start); } },
    { title: 'Length', num: true, get: function (r) { return r.length; }, cell: function (r) { return fmtNs(r.length); } },
    { title: 'Samples', num: true, get: function (r) { return r.samples; }, cell: function (r) { return fmtInt(r.samples); } },
    { title: 'Share', num: true, get: function (r) { return r.samples; }, cell: function (r) { return fmtPct(r.samples / (totalSamples || 1)); } }
  ], {
    sortCol: 5, limit: 100, emptyText: 'No processes.',
    onSelect: function (r) { setScope({ kind: 'process', process: r.i }); },
    isSelected: function (r) { return state.scope.kind === 'process' && state.scope.process === r.i; }
  });
  processTable.setRows(processRows);
  $('processes-panel').hidden = false;
  $('processes-sub').textContent = plural(processes.length, 'process', 'processes') + ' · a row shows only its samples';
}

// Functions
var fnTable = new SortTable($('functions'), [
  { title: 'Function', get: function (r) { return funcShort[r.f]; }, cls: 'name grow', desc: false,
    cell: function (r) { var s = el('span', null, funcShort[r.f]); s.title = funcFull[r.f]; return s; } },
  { title: 'Module', get: function (r) { return funcModule[r.f]; }, cls: 'name mod dim', desc: false },
  { title: 'Self', num: true, get: function (r) { return r.self; }, cell: function (r) { return fmtInt(r.self); } },
  { title: 'Self %', num: true, get: function (r) { return r.self; }, cell: function (r) { return shareCell(r.self / (fnTotal || 1)); } },
  { title: 'Total', num: true, get: function (r) { return r.total; }, cell: function (r) { return fmtInt(r.total); } },
  { title: 'Total %', num: true, get: function (r) { return r.total; }, cell: function (r) { return fmtPct(r.total / (fnTotal || 1)); } }
], {
  sortCol: 2, limit: 150, emptyText: 'No samples in this scope.',
  onSelect: function (r) { selectFunction(r.f); },
  isSelected: function (r) { return r.f === state.func; }
});
var fnTotal = 0;
$('fn-filter').addEventListener('input', function (e) {
  var m = searchMatcher(e.target.value);
  fnTable.filter = m ? function (r) { return m(funcShort[r.f]) || m(funcFull[r.f]) || m(funcModule[r.f]); } : null;
  fnTable.render();
});
function renderFunctions() {
  var fs = functionStats(state.scope);
  fnTotal = fs.total;
  $('fn-sub').textContent = state.scope.kind === 'all' ? 'all samples' : 'in ' + scopeDescription(state.scope);
  fnTable.setRows(fs.rows);
  if (state.func >= 0) renderSandwich();
}
function selectFunction(f) {
  state.func = f;
  fnTable.render();
  renderSandwich();
}
function renderSandwich() {
  var f = state.func;
  if (f < 0) return;
  var sw = buildSandwich(state.tree, f);
  $('sw-empty').hidden = true;
  $('sw-body').hidden = false;
  var name = $('sw-name');
  name.textContent = funcShort[f] + ' — ' + fmtInt(sw.callees.total[0]) + ' samples in scope';
  name.title = funcFull[f];
  callersView.setTree(sw.callers);
  calleesView.setTree(sw.callees);
  var cw = $('callers-wrap');
  cw.scrollTop = cw.scrollHeight;
  $('callees-wrap').scrollTop = 0;
  state.sandwich = { callers: sw.callers.total[0], callees: sw.callees.total[0] };
}

// ---------------------------------------------------------------- findings
var pollTable = null;
(function findings() {
  var sub = $('findings-sub'), any = false, thr = meta.longPollThresholdNs;
  if (longPolls.length) {
    any = true;
    $('lp-section').hidden = false;
    $('lp-count').textContent = fmtInt(longPolls.length);
    $('lp-sub').textContent = 'Swift jobs that ran ' + (thr ? 'over ' + fmtNs(thr) + ' ' : '') + 'without suspending. Click one for its flame graph.';
    var maxDur = 0;
    var rows = longPolls.map(function (lp, li) {
      var best = -1, bestC = -1, n = 0;
      for (var j = 0; j < lp[5].length; j += 2) { n += lp[5][j + 1]; if (lp[5][j + 1] > bestC) { bestC = lp[5][j + 1]; best = lp[5][j]; } }
      var leaf = best >= 0 && best < nStacks ? stackLeaf[best] : -1;
      if (lp[4] > maxDur) maxDur = lp[4];
      return { i: li, task: lp[0] >= 0 ? taskLabel(lp[0]) : '(no task)', thread: lp[1] >= 0 ? threadLabel(lp[1]) : 'thread ' + lp[2],
        start: lp[3], dur: lp[4], samples: n, top: leaf >= 0 ? ftFunc[leaf] : -1 };
    });
    pollTable = new SortTable($('lp-table'), [
      { title: 'Duration', num: true, get: function (r) { return r.dur; }, cell: function (r) { return el('span', 'lpdur', fmtNs(r.dur)); } },
      { title: 'Task', get: function (r) { return r.task; }, cls: 'name', desc: false },
      { title: 'Thread', get: function (r) { return r.thread; }, cls: 'name', desc: false },
      { title: 'Start', num: true, get: function (r) { return r.start; }, cell: function (r) { return fmtNs(r.start); }, desc: false },
      { title: 'Top function', get: function (r) { return r.top >= 0 ? funcShort[r.top] : ''; }, cls: 'name grow', desc: false,
        cell: function (r) { if (r.top < 0) return el('span', 'dim', '(no samples)'); var s = el('span', 'mono', funcShort[r.top]); s.title = funcFull[r.top]; return s; } },
      { title: 'Samples', num: true, get: function (r) { return r.samples; }, cell: function (r) { return fmtInt(r.samples); } }
    ], {
      sortCol: 0, limit: 10,
      onSelect: function (r) { setScope({ kind: 'poll', poll: r.i }); document.getElementById('flame-panel').scrollIntoView({ block: 'nearest' }); },
      isSelected: function (r) { return state.scope.kind === 'poll' && state.scope.poll === r.i; }
    });
    pollTable.setRows(rows);
  }
  if (blocking.length) {
    any = true;
    $('bc-section').hidden = false;
    $('bc-count').textContent = fmtInt(blocking.length);
    var bt = new SortTable($('bc-table'), [
      { title: 'Call', get: function (r) { return r.call || ''; }, cls: 'name', desc: false },
      { title: 'Task', get: function (r) { return r.task >= 0 ? taskLabel(r.task) : '(no task)'; }, cls: 'name', desc: false },
      { title: 'Duration', num: true, get: function (r) { return r.durationNs || 0; }, cell: function (r) { return fmtNs(r.durationNs || 0); } }
    ], { sortCol: 2, limit: 25, onSelect: function (r) { setScope({ kind: 'blocking', index: r.index }); } });
    bt.setRows(blocking.map(function (b, bi) { var r = Object.assign({}, b); r.index = bi; return r; }));
  }
  var rt = D.runtime;
  if (rt && rt.actorJobs && rt.actorWaitP50Ns >= (thr || 0)) {
    any = true;
    $('aq-section').hidden = false;
    $('aq-text').textContent = fmtInt(rt.actorJobs) + ' jobs waited for an actor: p50 ' + fmtNs(rt.actorWaitP50Ns) + ', p99 ' +
      fmtNs(rt.actorWaitP99Ns) + ', max ' + fmtNs(rt.actorWaitMaxNs) + '. An actor runs one job at a time; the functions ' +
      'that run on it (its methods in the flame graph) are what the queue waits for.';
  }
  if (D.liveTasks && renderStuckTasks(D.liveTasks)) any = true;
  var none = $('findings-empty');
  if (!any) {
    none.hidden = false;
    none.textContent = meta.jobTracking || D.runtime
      ? 'Nothing to report: no Swift job ran longer than ' + fmtNs(thr || 0) + ' without suspending.'
      : 'Job tracking was off for this recording, so there are no long-poll findings.';
  }
  sub.textContent = any ? '' : '';
})();

// Stuck tasks: what each finding names, then every live task under its parent, stuck ones open
// with their await stacks. Returns whether anything is stuck.
function renderStuckTasks(L) {
  var stuck = L.tasks.filter(function (t) { return t.stuck; });
  var sec = $('st-section');
  if (!L.tasks.length && !L.notes.length) return false;
  sec.hidden = false;
  // Nothing stuck: the section lists the live tasks, under that name.
  if (!stuck.length) $('st-title').textContent = 'Live tasks';
  $('st-count').textContent = fmtInt(stuck.length ? stuck.length : L.tasks.length);
  $('st-sub').textContent = (stuck.length ? 'Tasks alive at the end, suspended or enqueued at least ' + fmtNs(L.thresholdNs) + ' count as stuck.'
    : 'Alive at the end; none suspended or enqueued for ' + fmtNs(L.thresholdNs) + ' or more.') +
    (L.notes.length ? ' ' + L.notes.join(' ') : '');
  var box = $('st-findings');
  L.findings.forEach(function (f) {
    var d = el('div', 'st-finding');
    var t = el('div');
    t.appendChild(el('span', 'k', f.kind));
    t.appendChild(document.createTextNode(f.title));
    d.appendChild(t);
    d.appendChild(el('div', 'd', f.detail));
    d.appendChild(el('div', 'a', '→ ' + f.advice));
    box.appendChild(d);
  });
  var kids = L.tasks.map(function () { return []; }), roots = [];
  L.tasks.forEach(function (t, i) { if (t.parent >= 0 && t.parent !== i) kids[t.parent].push(i); else roots.push(i); });
  function item(i, depth) {
    var t = L.tasks[i], li = el('li', 'st-task' + (t.stuck ? ' stuck' : ''));
    var line = el(t.stack.length ? 'summary' : 'div');
    line.appendChild(el('span', 'st-state', t.state));
    line.appendChild(el('span', 'name', t.label));
    line.appendChild(el('span', 'st-why', t.reason + (t.forNs !== null ? ', ' + fmtNs(t.forNs) : '') + ' · ' + t.kind));
    if (t.stack.length) {
      var det = el('details');
      det.open = t.stuck;
      det.appendChild(line);
      var st = el('div', 'st-stack');
      t.stack.forEach(function (f) { var r = el('div'); r.appendChild(document.createTextNode(f[0] + '  ')); r.appendChild(el('span', 'loc', f[1])); st.appendChild(r); });
      if (t.created) { var c = el('div', 'loc', 'created in ' + t.created[0] + ' (' + t.created[1] + ')'); st.appendChild(c); }
      det.appendChild(st);
      li.appendChild(det);
    } else {
      li.appendChild(line);
    }
    if (kids[i].length && depth < 50) {
      var ul = el('ul');
      kids[i].forEach(function (k) { ul.appendChild(item(k, depth + 1)); });
      li.appendChild(ul);
    }
    return li;
  }
  var tree = $('st-tree');
  roots.forEach(function (i) { tree.appendChild(item(i, 0)); });
  state.stuckTasks = { live: L.tasks.length, stuck: stuck.length, findings: L.findings.length, shown: tree.querySelectorAll('li').length };
  return stuck.length > 0;
}

// ---------------------------------------------------------------- header
(function header() {
  var cmd = (meta.command || []).join(' ');
  $('cmd').textContent = cmd || '(unknown command)';
  $('cmd').title = cmd;
  document.title = 'taskprof — ' + (meta.command && meta.command.length ? meta.command[0].split('/').pop() : 'report');
  var ex = $('exit'), ok = /^exit 0$/.test(meta.exit || '');
  ex.textContent = meta.exit || 'exit unknown';
  ex.className = 'badge ' + (ok ? 'ok' : 'fail');
  var stats = $('stats');
  function stat(k, v, small, title) {
    var d = el('div', 'stat'), vv = el('span', 'v', v);
    d.appendChild(el('span', 'k', k));
    if (small) { vv.appendChild(document.createTextNode(' ')); vv.appendChild(el('small', null, small)); }
    d.appendChild(vv);
    if (title) d.title = title;
    stats.appendChild(d);
  }
  var secs = meta.durationNs / 1e9;
  stat('Duration', fmtNs(meta.durationNs));
  stat('Samples', fmtInt(meta.samples), meta.threadsSampled ? 'on ' + plural(meta.threadsSampled, 'thread') : '');
  stat('Dropped', fmtInt(meta.dropped), meta.samples + meta.dropped > 0 ? fmtPct(meta.dropped / (meta.samples + meta.dropped)) : '');
  stat('Rate', fmtInt(meta.rateHz) + ' Hz', 'per thread');
  stat('Engine', meta.engine || '–', '', meta.engineNote || '');
  if (meta.cpuTimeNs) stat('CPU time', fmtNs(meta.cpuTimeNs), secs > 0 ? (meta.cpuTimeNs / 1e9 / secs).toFixed(2) + ' cores' : '');
  stat('Tasks', fmtInt(tasks.length));
  stat('Threads', fmtInt(threads.length));
  if (D.runtime) {
    var r = D.runtime;
    stat('Swift jobs', fmtInt(r.jobs), Math.round(r.jobsPerSecond) + '/s');
    stat('Workers busy', fmtPct(r.busyFraction), 'of ' + r.workerThreads);
    stat('Sched. delay p99', fmtNs(r.delayP99Ns), 'p50 ' + fmtNs(r.delayP50Ns));
    if (r.actorJobs) stat('Actor wait p99', fmtNs(r.actorWaitP99Ns), 'p50 ' + fmtNs(r.actorWaitP50Ns),
                          'From a job\u2019s enqueue on an actor to its start in the actor\u2019s drain');
  }
  var when = [];
  if (meta.startTime) when.push(meta.startTime.replace('T', ' ').replace('Z', ' UTC'));
  if (meta.host) when.push('host ' + meta.host);
  if (meta.pid) when.push('pid ' + meta.pid);
  $('when').textContent = when.join(' · ');
  var notes = $('notes');
  if (!meta.complete) notes.appendChild(el('div', 'note warn', 'The recording ended without a clean exit; it holds what was written before.'));
  (meta.notes || []).forEach(function (n) { notes.appendChild(el('div', 'note warn', n)); });
  if (meta.engineNote) notes.appendChild(el('div', 'note', 'Engine: ' + meta.engineNote));
  $('tasks-sub').textContent = plural(tasks.length, 'task');
  $('threads-sub').textContent = plural(threads.length, 'thread');
  $('tasks-foot').textContent = noTaskSamples > 0
    ? fmtInt(noTaskSamples) + ' samples (' + fmtPct(noTaskSamples / (totalSamples || 1)) + ') ran outside any Swift task; they sit under their thread in the flame graph.'
    : '';
})();

// ---------------------------------------------------------------- controls
$('scope-all').addEventListener('click', function () { setScope({ kind: 'all' }); });
$('scope-offcpu').hidden = blocking.length === 0;
$('scope-offcpu').addEventListener('click', function () { setScope({ kind: 'offcpu' }); });
$('scope-clear').addEventListener('click', function () { setScope({ kind: 'all' }); });
function setMode(icicle) {
  mainView.icicle = icicle;
  $('mode-flame').classList.toggle('on', !icicle);
  $('mode-icicle').classList.toggle('on', icicle);
  mainView.setHover(-1);
  mainView.draw();
}
function setRootsByKind(on) {
  state.rootsByKind = on;
  $('roots-task').classList.toggle('on', !on);
  $('roots-kind').classList.toggle('on', on);
  setScope(state.scope);
}
$('roots-seg').hidden = kinds.length === 0;
$('roots-task').addEventListener('click', function () { setRootsByKind(false); });
$('roots-kind').addEventListener('click', function () { setRootsByKind(true); });
// Switching stacks rebuilds the page from its data: a reload with the flag in the URL.
$('stacks-seg').hidden = !hasAsync;
$('legend-async').hidden = !hasAsync || physicalView;
$('stacks-logical').classList.toggle('on', !physicalView);
$('stacks-physical').classList.toggle('on', physicalView);
function setStacks(physical) {
  if (physical === physicalView) return;
  var flags = location.hash.slice(1).split(',').filter(function (f) { return f && f !== 'physical'; });
  if (physical) flags.push('physical');
  location.hash = flags.join(',');
  location.reload();
}
$('stacks-logical').addEventListener('click', function () { setStacks(false); });
$('stacks-physical').addEventListener('click', function () { setStacks(true); });
$('mode-flame').addEventListener('click', function () { setMode(false); });
$('mode-icicle').addEventListener('click', function () { setMode(true); });
document.addEventListener('keydown', function (e) {
  var tag = (e.target && e.target.tagName) || '';
  if (e.key === '/' && tag !== 'INPUT') { e.preventDefault(); $('search').focus(); }
  else if (e.key === 'Escape') {
    if (tag === 'INPUT' && e.target.id === 'search' && e.target.value) { e.target.value = ''; state.search = ''; applySearch(); }
    else if (mainView.zoom !== 0) mainView.setZoom(0);
  }
});
// Redraw when a panel's width changes: window resizes, and the page's scroll bar appearing.
function watchWidth(elem, views) {
  var last = -1, pending = false;
  function check() {
    pending = false;
    var w = elem.clientWidth;
    if (w === last) return;
    last = w;
    views.forEach(function (v) { if (v.tree && v.width !== Math.max(v.canvas.parentElement.clientWidth, 200)) v.draw(); });
  }
  if (window.ResizeObserver) new ResizeObserver(function () { if (!pending) { pending = true; requestAnimationFrame(check); } }).observe(elem);
  else window.addEventListener('resize', function () { if (!pending) { pending = true; setTimeout(check, 100); } });
}
watchWidth($('flame-panel'), [mainView]);
watchWidth($('sandwich'), [callersView, calleesView]);

// ---------------------------------------------------------------- first view
var tTree0 = performance.now();
state.scope = { kind: 'all' };
state.tree = buildScopeTree(state.scope);
var tDraw0 = performance.now(), treeMs = tDraw0 - tTree0;
$('flame-empty').hidden = state.tree.total[0] > 0;
$('flame-wrap').hidden = !(state.tree.total[0] > 0);
mainView.setTree(state.tree);
var firstViewMs = performance.now(), drawMs = firstViewMs - tDraw0;
renderCrumbs();
renderScopeBar();
taskTable.setRows(taskRows);
threadTable.setRows(threadRows);
renderFunctions();
var topFn = fnTable.sorted()[0];
if (topFn && topFn.self > 0) selectFunction(topFn.f);
var readyMs = performance.now();

// ---------------------------------------------------------------- self-test
function rootLabelsOf(t) {
  var out = [];
  t.kids(0).forEach(function (c) { out.push(t.name(c)); });
  return out.sort();
}
function r1(x) { return Math.round(x * 10) / 10; }
function runSelfTest() {
  var res = { ok: false, errors: tp.errors, firstViewMs: Math.round(firstViewMs * 10) / 10, readyMs: Math.round(readyMs * 10) / 10,
    scriptStartMs: r1(scriptStartMs), parseMs: r1(parseMs), decodeMs: r1(decodeMs), treeMs: r1(treeMs), drawMs: r1(drawMs), dataChars: dataChars,
    stacks: nStacks, frames: nFrames, funcs: nFuncs, trieNodes: ftN, flameNodes: state.tree.n, tasks: tasks.length, threads: threads.length };
  var steps = [], stepMs = {};
  function step(name, fn) {
    var t0 = performance.now();
    try { fn(); steps.push(name); } catch (e) { tp.errors.push('selftest ' + name + ': ' + (e && e.stack ? e.stack : e)); }
    stepMs[name] = r1(performance.now() - t0);
  }
  step('all', function () {
    res.trieOk = triePreorderOk();
    // Every drawn box: total = self + children's totals.
    var t = state.tree, bad = 0;
    for (var n = 0; n < t.n; n++) {
      if (!t.kidsOf[n]) continue;
      var sum = t.self[n];
      t.kidsOf[n].forEach(function (c) { sum += t.total[c]; });
      if (Math.abs(sum - t.total[n]) > 1e-6) bad++;
    }
    res.inconsistentBoxes = bad;
    res.allTotal = state.tree.total[0];
    res.allRoots = rootLabelsOf(state.tree).length;
    res.expectedTotal = totalSamples;
  });
  step('task', function () {
    var first = taskTable.sorted()[0];
    if (!first) { res.reason = 'no tasks in the table'; return; }
    var before = rootLabelsOf(state.tree).join('\n');
    setScope({ kind: 'task', task: first.i });
    res.taskLabel = taskLabel(first.i);
    res.taskTotal = state.tree.total[0];
    res.taskExpected = taskSamples[first.i];
    res.taskRoots = rootLabelsOf(state.tree).length;
    res.changed = res.taskTotal !== res.allTotal || rootLabelsOf(state.tree).join('\n') !== before;
    res.taskSelectedRow = !!$('tasks').querySelector('tr.sel');
  });
  step('search', function () {
    state.search = 'a'; applySearch(); res.searchShare = state.searchShare;
    state.search = ''; applySearch();
  });
  step('zoom', function () {
    var t = state.tree;
    if (t.kids(0).length) {
      var c = t.kids(0)[0];
      mainView.setZoom(c);
      res.zoomCrumbs = $('crumbs').querySelectorAll('button').length;
      mainView.setZoom(0);
    }
  });
  step('icicle', function () { setMode(true); setMode(false); });
  step('function', function () {
    var fr = fnTable.sorted()[0];
    if (fr) { selectFunction(fr.f); res.sandwich = state.sandwich; res.sandwichOk = state.sandwich.callers === state.sandwich.callees && state.sandwich.callers === fr.total; }
  });
  step('thread', function () {
    var th = threadTable.sorted()[0];
    if (th) { setScope({ kind: 'thread', thread: th.i }); res.threadTotal = state.tree.total[0]; }
  });
  step('process', function () {
    if (!processTable) return;
    var pr = processTable.sorted()[0];
    $('processes').querySelector('tbody tr').click();
    res.processTotal = state.tree.total[0];
    res.processExpected = pr.samples;
    res.processSelectedRow = !!$('processes').querySelector('tr.sel');
  });
  step('name', function () {
    var nm = null;
    tasksByName.forEach(function (l, k) { if (nm === null) nm = k; });
    if (nm !== null) { setScope({ kind: 'name', name: nm }); res.nameTotal = state.tree.total[0]; }
  });
  step('poll', function () {
    if (longPolls.length) { setScope({ kind: 'poll', poll: 0 }); res.pollTotal = state.tree.total[0]; }
  });
  step('offcpu', function () {
    if (!blocking.length) return;
    setScope({ kind: 'offcpu' });
    res.offcpuTotal = state.tree.total[0];
    res.offcpuExpected = 0;
    blocking.forEach(function (b) { for (var j = 1; b && b.stacks && j < b.stacks.length; j += 2) res.offcpuExpected += b.stacks[j]; });
  });
  step('kinds', function () {
    res.physical = physicalView; res.hasAsync = hasAsync; res.kinds = kinds.length;
    res.asyncBoxes = 0;
    for (var n = 0; n < ftN; n++) if (frameFlags[ftFrame[n]] & 2) res.asyncBoxes++;
    if (!kinds.length) return;
    setScope({ kind: 'all' });
    res.taskRootsAll = rootLabelsOf(state.tree).length;
    setRootsByKind(true);
    res.kindRoots = rootLabelsOf(state.tree).length;
    res.kindTotal = state.tree.total[0];
    setRootsByKind(false);
    var k0 = -1, kn = 0;
    tasksByKind.forEach(function (l, k) { if (l.length > kn) { kn = l.length; k0 = k; } });
    if (k0 >= 0) { setScope({ kind: 'kind', k: k0 }); res.kindScopeTasks = kn; res.kindScopeTotal = state.tree.total[0]; }
  });
  step('stuck', function () {
    if (!D.liveTasks) return;
    var L = D.liveTasks, st = state.stuckTasks || { shown: 0, stuck: 0 };
    res.liveTasks = L.tasks.length;
    res.stuckTasks = st.stuck;
    // Every live task once in the tree, every finding shown, every stuck task opened.
    res.stuckOk = st.shown === L.tasks.length && $('st-findings').children.length === L.findings.length
      && document.querySelectorAll('#st-tree li.stuck details[open], #st-tree li.stuck > div').length === st.stuck;
  });
  step('restore', function () {
    setScope({ kind: 'all' });
    res.restoredTotal = state.tree.total[0];
  });
  res.steps = steps;
  res.stepMs = stepMs;
  // Write the result now, and again a moment after load, so that errors from anything that
  // runs later count too.
  function finish() {
    res.errors = tp.errors;
    res.ok = tp.errors.length === 0 && res.trieOk === true && res.inconsistentBoxes === 0 && res.allTotal > 0
      && res.allTotal === res.expectedTotal && res.changed === true
      && res.taskTotal === res.taskExpected && res.restoredTotal === res.allTotal && res.sandwichOk !== false
      && (res.kindTotal === undefined || res.kindTotal === res.allTotal) && !(res.physical && res.asyncBoxes > 0)
      && res.offcpuTotal === res.offcpuExpected && res.stuckOk !== false;
    $('selftest-result').textContent = JSON.stringify(res);
  }
  finish();
  window.addEventListener('load', function () { setTimeout(finish, 50); });
}
// A small handle for scripts and tests driving the page.
window.taskprof = {
  setScope: setScope, selectFunction: selectFunction, setMode: setMode,
  search: function (q) { $('search').value = q; state.search = q; applySearch(); },
  zoom: function (n) { mainView.setZoom(n); },
  tree: function () { return state.tree; }, view: mainView
};
if (tp.selftest) runSelfTest();
tp.done = true;
})();
