// Inline CSS and JS of the docs page (kept here so render-docs.ts stays readable).
export const docsStyle = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#fafafa;color:#222}
main{max-width:960px;margin:0 auto;padding:1rem 1.5rem}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f0f0f0;padding:.6rem;overflow:auto;white-space:pre-wrap}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
.op{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.method{display:inline-block;min-width:3.5rem;text-align:center;border-radius:4px;color:#fff;padding:0 .4rem}
.method.get{background:#2b7bb9}.method.post{background:#2f9e44}
.badge{background:#ffe8a3;border-radius:4px;padding:0 .3rem;font-size:12px}
label{display:block;margin:.3rem 0}input,textarea{width:100%;box-sizing:border-box;font-family:ui-monospace,monospace}
fieldset.console{background:#fff;border:1px solid #ccc}
`;

export const docsScript = `
(function () {
  var base = document.getElementById('base-url');
  var token = document.getElementById('token');
  var apikey = document.getElementById('apikey');
  var here = location.href.replace(/[?#].*$/, '').replace(/\\/whatsapp\\/docs\\/?$/, '');
  if (here !== location.href) base.value = here;
  [token, apikey].forEach(function (el) {
    el.value = localStorage.getItem('wl-docs-' + el.id) || '';
    el.addEventListener('change', function () { localStorage.setItem('wl-docs-' + el.id, el.value); });
  });
  document.querySelectorAll('section.op').forEach(function (op) {
    var button = op.querySelector('details.try button');
    var out = op.querySelector('pre.result');
    button.addEventListener('click', function () {
      var path = op.dataset.path, query = new URLSearchParams(), headers = {};
      op.querySelectorAll('input[data-in]').forEach(function (input) {
        if (input.value === '') return;
        if (input.dataset.in === 'path') path = path.replace('{' + input.dataset.name + '}', encodeURIComponent(input.value));
        else if (input.dataset.in === 'query') query.set(input.dataset.name, input.value);
        else if (input.dataset.in === 'header') headers[input.dataset.name] = input.value;
      });
      if (op.dataset.auth && token.value) headers['Authorization'] = 'Bearer ' + token.value;
      if (apikey.value) headers['apikey'] = apikey.value;
      var textarea = op.querySelector('textarea'), init = { method: op.dataset.method, headers: headers };
      if (textarea) { headers['Content-Type'] = 'application/json'; init.body = textarea.value; }
      var qs = query.toString();
      out.textContent = '...';
      fetch(base.value.replace(/\\/$/, '') + path + (qs ? '?' + qs : ''), init).then(function (res) {
        return res.text().then(function (text) {
          try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
          out.textContent = res.status + ' ' + res.statusText + '\\n' + text;
        });
      }).catch(function (error) { out.textContent = String(error); });
    });
  });
})();
`;
