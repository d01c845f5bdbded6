// What both pages (report.html, diff.html) share, loaded before their own script: the error
// collection their self-tests report (so it runs before anything else), the `#` flags, the DOM
// helpers, the flame-graph view and the sortable table, on window.__taskprof.
(function () {
  var flags = location.hash.slice(1).split(',');
  var tp = window.__taskprof = { errors: [], selftest: flags.indexOf('selftest') >= 0, physical: flags.indexOf('physical') >= 0 };
  tp.$ = function (id) { return document.getElementById(id); };
  // An element with a class and a text: names reach the page only as text, never as markup.
  tp.el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  function add(msg) { tp.errors.push(String(msg).slice(0, 500)); }
  window.addEventListener('error', function (e) { add('error: ' + (e.message || e.type) + (e.lineno ? ' at line ' + e.lineno : '')); });
  window.addEventListener('unhandledrejection', function (e) { add('unhandled rejection: ' + e.reason); });
  var ce = console.error;
  console.error = function () { add('console.error: ' + Array.prototype.map.call(arguments, String).join(' ')); return ce.apply(console, arguments); };
  window.addEventListener('load', function () {
    if (tp.selftest && !tp.done) {
      var out = document.getElementById('selftest-result');
      if (out) out.textContent = JSON.stringify({ ok: false, errors: tp.errors, reason: 'the page script did not finish' });
    }
  });

  tp.fmtInt = function (n) { return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ','); };

  // A tooltip element placed beside the pointer, inside the window.
  tp.placeTip = function (tip, cx, cy) {
    tip.hidden = false;
    var tw = tip.offsetWidth, th = tip.offsetHeight, x = cx + 14, y = cy + 16;
    if (x + tw > window.innerWidth - 8) x = Math.max(8, cx - tw - 14);
    if (y + th > window.innerHeight - 8) y = Math.max(8, cy - th - 12);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  };

  // ---------------------------------------------------------------- flame view
  // One flame graph (or icicle) on a canvas. The tree is flat arrays indexed by box, box 0 the
  // root: parent[], depth[], total[] (its weight), x[] (where it starts, in weight units, from
  // the root's start), kids(n) (its children, heaviest first, each x[] set) and name(n). Each
  // page says how a box looks and what its tooltip shows:
  //   opts.style(n, tree, view) -> [fill, darkText]     (required)
  //   opts.outline(n, tree, view) -> colour or null     (a ring around the box)
  //   opts.onHover(tree, n, cx, cy, view), opts.onRest(tree, restBox, cx, cy, view), opts.onLeave()
  //   opts.onClick(n, view), opts.onZoom(view), opts.onDraw(view)
  //   icicle, rowH, minWidth, maxRows, minRows, zoomOnRest, font
  // Children thinner than minWidth pixels are drawn as one quiet "rest" box.
  var REST = '#ddd5ca', REST_INK = '#6d645a';
  function FlameView(canvas, hoverBox, opts) {
    this.canvas = canvas; this.ctx = canvas.getContext('2d'); this.hoverBox = hoverBox;
    this.opts = opts; this.icicle = !!opts.icicle; this.rowH = opts.rowH || 18;
    this.tree = null; this.zoom = 0; this.match = null; this.hover = -1;
    this.vis = []; this.rest = []; this.visMaxD = 0; this.width = 0;
    var self = this;
    canvas.addEventListener('mousemove', function (e) { self.onMove(e); });
    canvas.addEventListener('mouseleave', function () { self.setHover(-1); if (self.opts.onLeave) self.opts.onLeave(); });
    canvas.addEventListener('click', function (e) {
      var n = self.hitTest(e);
      if (n < 0 && self.opts.zoomOnRest) { var rb = self.hitRest(e); if (rb) n = rb.parent; }
      if (n >= 0 && self.opts.onClick) self.opts.onClick(n, self);
    });
  }
  FlameView.prototype.setTree = function (tree) { this.tree = tree; this.zoom = 0; this.setHover(-1); this.draw(); };
  FlameView.prototype.setZoom = function (n) { this.zoom = n; this.setHover(-1); this.draw(); if (this.opts.onZoom) this.opts.onZoom(this); };
  FlameView.prototype.draw = function () {
    var t = this.tree, canvas = this.canvas, ctx = this.ctx, opts = this.opts;
    if (!t) return;
    var W = Math.max(canvas.parentElement.clientWidth, 200), rowH = this.rowH, dpr = window.devicePixelRatio || 1;
    var z = this.zoom, x0 = t.x[z], span = t.total[z] || 1, scale = W / span;
    var minW = opts.minWidth || 0.6;
    // visible boxes: the zoomed box's ancestors (full width), then its subtree, pruned by width
    var vis = [], maxD = t.depth[z], a, stack = [z], n, j;
    for (a = t.parent[z]; a >= 0; a = t.parent[a]) vis.push(a);
    var total = t.total, depth = t.depth;
    var maxRows = opts.maxRows || 1500, rest = [];
    while (stack.length) {
      n = stack.pop();
      vis.push(n);
      if (depth[n] > maxD) maxD = depth[n];
      if (depth[n] >= maxRows) continue;
      var ks = t.kids(n);
      for (j = 0; j < ks.length && total[ks[j]] * scale >= minW; j++) stack.push(ks[j]);
      if (j < ks.length) {
        var restTotal = 0;
        for (var rj = j; rj < ks.length; rj++) restTotal += total[ks[rj]];
        if (restTotal * scale >= 1) {
          rest.push({ parent: n, first: ks[j], count: ks.length - j, total: restTotal });
          if (depth[n] + 1 > maxD) maxD = depth[n] + 1;
        }
      }
    }
    if (t.total[0] === 0) maxD = 0;
    var H = (maxD + 1) * rowH;
    if (opts.minRows) H = Math.max(H, opts.minRows * rowH);
    this.width = W; this.height = H; this.visMaxD = maxD; this.vis = vis; this.rest = rest; this.scale = scale; this.x0 = x0;
    canvas.style.width = W + 'px'; canvas.style.height = H + 'px';
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.font = opts.font || '12px ' + getComputedStyle(document.body).fontFamily;
    ctx.textBaseline = 'middle';
    var charW = ctx.measureText('abcdefghijklmnopqrstuvwxyz').width / 26;
    var zDepth = t.depth[z];
    for (var v = 0; v < vis.length; v++) {
      n = vis[v];
      var isAnc = depth[n] < zDepth, x, w;
      if (isAnc) { x = 0; w = W; } else { x = (t.x[n] - x0) * scale; w = total[n] * scale; }
      var y = this.rowY(depth[n]), look = opts.style(n, t, this);
      ctx.globalAlpha = isAnc ? 0.55 : 1;
      ctx.fillStyle = look[0];
      ctx.fillRect(x, y, w > 2 ? w - 1 : w, rowH - 1);
      var ring = opts.outline ? opts.outline(n, t, this) : null;
      if (ring) { ctx.strokeStyle = ring; ctx.lineWidth = 2; ctx.strokeRect(x + 1, y + 1, Math.max(w - 3, 0.5), rowH - 3); }
      if (w > 32) {
        var name = t.name(n), room = Math.floor((w - 8) / charW);
        if (room >= 3) {
          if (name.length > room) name = name.slice(0, room - 1) + '…';
          ctx.fillStyle = look[1] ? '#ffffff' : '#2a1a0e';
          ctx.fillText(name, x + 4, y + rowH / 2);
        }
      }
    }
    ctx.globalAlpha = 1;
    for (v = 0; v < rest.length; v++) {
      var rb = rest[v], rx = (t.x[rb.first] - x0) * scale, rw = rb.total * scale, ry = this.rowY(depth[rb.parent] + 1);
      ctx.fillStyle = REST;
      ctx.fillRect(rx, ry, rw > 2 ? rw - 1 : rw, rowH - 1);
      if (rw > 40) {
        var rl = '+' + tp.fmtInt(rb.count), rroom = Math.floor((rw - 8) / charW);
        if (rl.length <= rroom) { ctx.fillStyle = REST_INK; ctx.fillText(rl, rx + 4, ry + rowH / 2); }
      }
    }
    if (opts.onDraw) opts.onDraw(this);
  };
  FlameView.prototype.rowY = function (d) { return this.icicle ? d * this.rowH : (this.visMaxD - d) * this.rowH; };
  // Where box n was drawn, in canvas pixels: {x, y, w}.
  FlameView.prototype.boxOf = function (n) {
    var t = this.tree, anc = t.depth[n] < t.depth[this.zoom];
    return { x: anc ? 0 : (t.x[n] - this.x0) * this.scale, y: this.rowY(t.depth[n]), w: anc ? this.width : t.total[n] * this.scale };
  };
  FlameView.prototype.hitTest = function (e) {
    var t = this.tree;
    if (!t) return -1;
    var r = this.canvas.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
    var row = Math.floor(my / this.rowH), d = this.icicle ? row : this.visMaxD - row;
    if (d < 0) return -1;
    var zDepth = t.depth[this.zoom];
    for (var v = 0; v < this.vis.length; v++) {
      var n = this.vis[v];
      if (t.depth[n] !== d) continue;
      if (d < zDepth) return n;
      var x = (t.x[n] - this.x0) * this.scale, w = t.total[n] * this.scale;
      if (mx >= x && mx < x + Math.max(w, 1)) return n;
    }
    return -1;
  };
  FlameView.prototype.setHover = function (n) {
    this.hover = n;
    var b = this.hoverBox;
    if (!b) return;
    if (n < 0 || !this.tree) { b.style.display = 'none'; return; }
    var at = this.boxOf(n);
    b.style.display = 'block';
    b.style.left = at.x + 'px'; b.style.top = at.y + 'px';
    b.style.width = Math.max(Math.max(at.w, 2) - 1, 2) + 'px'; b.style.height = (this.rowH - 1) + 'px';
  };
  FlameView.prototype.hitRest = function (e) {
    var t = this.tree;
    if (!t || !this.rest) return null;
    var r = this.canvas.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
    for (var v = 0; v < this.rest.length; v++) {
      var rb = this.rest[v], x = (t.x[rb.first] - this.x0) * this.scale, w = rb.total * this.scale, y = this.rowY(t.depth[rb.parent] + 1);
      if (mx >= x && mx < x + w && my >= y && my < y + this.rowH) return rb;
    }
    return null;
  };
  FlameView.prototype.onMove = function (e) {
    var n = this.hitTest(e), opts = this.opts;
    if (n !== this.hover) this.setHover(n);
    if (n >= 0) { if (opts.onHover) opts.onHover(this.tree, n, e.clientX, e.clientY, this); return; }
    var rb = this.hitRest(e);
    if (rb && opts.onRest) opts.onRest(this.tree, rb, e.clientX, e.clientY, this);
    else if (opts.onLeave) opts.onLeave();
  };
  tp.FlameView = FlameView;

  // ---------------------------------------------------------------- tables
  // A table sorted by a clicked header. columns: { title, num, get(row) -> sort value,
  // cell(row) -> string or Node, cls, clsOf(row), tip, titleOf(row), desc }. opts: sortCol
  // (-1: the rows' own order until a header is clicked), sortDesc, limit (rows shown before a
  // "Show all" button), emptyText, isSelected(row), onSelect(row).
  function SortTable(table, columns, opts) {
    this.table = table; this.columns = columns; this.opts = opts; this.rows = [];
    this.sortCol = opts.sortCol === undefined ? 0 : opts.sortCol; this.sortDesc = opts.sortDesc !== false;
    this.limit = opts.limit || 200; this.filter = null;
  }
  SortTable.prototype.setRows = function (rows) { this.rows = rows; this.render(); };
  SortTable.prototype.sorted = function () {
    var f = this.filter, rows = f ? this.rows.filter(f) : this.rows.slice();
    if (this.sortCol < 0) return rows;
    var c = this.columns[this.sortCol], desc = this.sortDesc;
    rows.sort(function (a, b) {
      var x = c.get(a), y = c.get(b), r;
      if (typeof x === 'string' || typeof y === 'string') r = String(x).localeCompare(String(y));
      else r = (x === null || x === undefined ? -Infinity : x) - (y === null || y === undefined ? -Infinity : y);
      return desc ? -r : r;
    });
    return rows;
  };
  SortTable.prototype.render = function () {
    var self = this, table = this.table, cols = this.columns, el = tp.el;
    table.textContent = '';
    var thead = el('thead'), hr = el('tr');
    cols.forEach(function (c, ci) {
      var th = el('th', c.num ? 'num' : '');
      if (c.tip) th.title = c.tip;
      var arrow = el('span', 'arrow', ci === self.sortCol ? (self.sortDesc ? '▾' : '▴') : '');
      if (c.num) { th.appendChild(arrow); th.appendChild(document.createTextNode(c.title)); }
      else { th.appendChild(document.createTextNode(c.title)); th.appendChild(arrow); }
      th.setAttribute('aria-sort', ci === self.sortCol ? (self.sortDesc ? 'descending' : 'ascending') : 'none');
      th.addEventListener('click', function () {
        if (self.sortCol === ci) self.sortDesc = !self.sortDesc;
        else { self.sortCol = ci; self.sortDesc = c.desc !== undefined ? c.desc : !!c.num; }
        self.render();
      });
      hr.appendChild(th);
    });
    thead.appendChild(hr); table.appendChild(thead);
    var tbody = el('tbody'), rows = this.sorted(), shown = Math.min(rows.length, this.limit);
    this.lastSorted = rows;
    for (var i = 0; i < shown; i++) (function (row) {
      var tr = el('tr');
      if (self.opts.isSelected && self.opts.isSelected(row)) tr.className = 'sel';
      cols.forEach(function (c) {
        var td = el('td', (c.num ? 'num ' : '') + (c.cls || '') + (c.clsOf ? ' ' + c.clsOf(row) : ''));
        var v = c.cell ? c.cell(row) : c.get(row);
        if (v instanceof Node) td.appendChild(v); else td.textContent = v === null || v === undefined ? '–' : String(v);
        if (c.titleOf) td.title = c.titleOf(row);
        tr.appendChild(td);
      });
      if (self.opts.onSelect) {
        tr.tabIndex = 0;
        tr.addEventListener('click', function () { self.opts.onSelect(row); });
        tr.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); self.opts.onSelect(row); } });
      }
      tbody.appendChild(tr);
    })(rows[i]);
    if (rows.length > shown) {
      var tr = el('tr', 'more'), td = el('td');
      td.colSpan = cols.length;
      var b = el('button', 'btn', 'Show all ' + tp.fmtInt(rows.length) + ' rows');
      b.type = 'button';
      b.addEventListener('click', function () { self.limit = Infinity; self.render(); });
      td.appendChild(document.createTextNode(tp.fmtInt(rows.length - shown) + ' more  '));
      td.appendChild(b);
      tr.appendChild(td); tbody.appendChild(tr);
    }
    if (rows.length === 0) {
      var er = el('tr', 'more'), ed = el('td', 'dim', this.opts.emptyText || 'Nothing here.');
      ed.colSpan = cols.length; er.appendChild(ed); tbody.appendChild(er);
    }
    table.appendChild(tbody);
    return rows.length;
  };
  tp.SortTable = SortTable;
})();
