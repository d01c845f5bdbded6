// What both pages (report.html, diff.html) share, loaded before their own script: the error
// collection their self-tests report (so it runs before anything else), the `#` flags, and the
// DOM helpers, on window.__taskprof.
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
})();
