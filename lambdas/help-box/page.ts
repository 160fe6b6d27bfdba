/**
 * The help box (docs/health.md, "Help box"): one static page. The customer signs in with an
 * access key pair (kept in this tab's sessionStorage only); the page signs each call with SigV4
 * in the browser (WebCrypto) and, as the customer types, calls POST help/suggest (debounced,
 * 150 ms) and shows the matching open events in a pop-up. Comments are sent to POST comments.
 */
export const HELP_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Blockplane help</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto; padding: 0 1rem; color: #1d2430; }
  fieldset { border: 1px solid #ccd; border-radius: 6px; margin-bottom: 1rem; }
  input, textarea, select { font: inherit; width: 100%; box-sizing: border-box; margin: .2rem 0 .6rem; }
  textarea { min-height: 6rem; }
  #popup { border: 1px solid #c33; background: #fff6f5; border-radius: 6px; padding: .6rem .9rem; margin-top: .4rem; }
  #popup[hidden] { display: none; }
  .match { margin: .4rem 0; }
  .match code { background: #eee; padding: 0 .2rem; }
  #status { color: #556; font-size: 90%; }
</style>
</head>
<body>
<h1>How can we help?</h1>
<fieldset id="signin">
  <legend>Your access key</legend>
  <label>Access key id <input id="accessKeyId" autocomplete="off"></label>
  <label>Secret access key <input id="secretAccessKey" type="password" autocomplete="off"></label>
  <label>Region <input id="region" value="us-east-1"></label>
</fieldset>
<label for="question">Describe the problem</label>
<textarea id="question" placeholder="e.g. my volume is slow since this morning"></textarea>
<div id="popup" role="status" aria-live="polite" hidden></div>
<button id="send">Send as a comment</button>
<p id="status"></p>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  for (const id of ['accessKeyId', 'secretAccessKey', 'region']) {
    const saved = sessionStorage.getItem('bp-' + id);
    if (saved) $(id).value = saved;
    $(id).addEventListener('change', () => sessionStorage.setItem('bp-' + id, $(id).value));
  }
  const enc = new TextEncoder();
  const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const sha256 = async (text) => hex(await crypto.subtle.digest('SHA-256', enc.encode(text)));
  const hmac = async (key, text) => crypto.subtle.sign('HMAC', await crypto.subtle.importKey('raw', typeof key === 'string' ? enc.encode(key) : key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']), enc.encode(text));
  async function signedFetch(relative, body) {
    const url = new URL(relative, location.href);
    const amzDate = new Date().toISOString().replace(/[-:]|\\.\\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    const region = $('region').value || 'us-east-1';
    const payloadHash = await sha256(body);
    const headers = { 'content-type': 'application/json', host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash };
    const names = Object.keys(headers).sort();
    const canonical = ['POST', url.pathname, '', ...names.map((n) => n + ':' + headers[n]), '', names.join(';'), payloadHash].join('\\n');
    const scope = day + '/' + region + '/execute-api/aws4_request';
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, await sha256(canonical)].join('\\n');
    let key = await hmac('AWS4' + $('secretAccessKey').value, day);
    for (const part of [region, 'execute-api', 'aws4_request']) key = await hmac(key, part);
    const signature = hex(await hmac(key, toSign));
    const { host: _host, ...sent } = headers;
    sent.authorization = 'AWS4-HMAC-SHA256 Credential=' + $('accessKeyId').value + '/' + scope + ', SignedHeaders=' + names.join(';') + ', Signature=' + signature;
    return fetch(url, { method: 'POST', headers: sent, body });
  }
  const popup = $('popup');
  const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  function show(suggestions) {
    if (suggestions.length === 0) { popup.hidden = true; popup.innerHTML = ''; return; }
    popup.innerHTML = '<strong>Known issues that may affect you</strong>' + suggestions.map((s) =>
      '<div class="match" data-event-id="' + escape(s.eventId) + '"><div>' + escape(s.description) + '</div>' +
      '<div>Affects ' + s.volumeIds.map(escape).join(', ') + ' (' + escape(s.why.join('; ')) + ')</div>' +
      s.automaticActions.map((a) => '<div>Automatic: ' + escape(a.action) + ' ' + escape(a.volumeId) + ': ' + escape(a.outcome) + '</div>').join('') +
      s.remediation.map((r) => '<div>You can run <code>' + escape(r.method + ' ' + r.path + ' ' + JSON.stringify(r.body)) + '</code> (' + escape(r.why) + ')</div>').join('') +
      '</div>').join('');
    popup.hidden = false;
  }
  let timer, asked = 0;
  $('question').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++asked;
      try {
        const response = await signedFetch('help/suggest', JSON.stringify({ text: $('question').value }));
        const answer = await response.json();
        if (mine === asked) response.ok ? show(answer.suggestions) : ($('status').textContent = answer.message);
      } catch (error) { $('status').textContent = 'could not reach the help service: ' + error.message; }
    }, 150);
  });
  $('send').addEventListener('click', async () => {
    const response = await signedFetch('comments', JSON.stringify({ text: $('question').value, channel: 'help-box' }));
    const answer = await response.json();
    $('status').textContent = response.ok ? 'Thank you: your comment ' + answer.commentId + ' was recorded (' + answer.verdict + ').' : answer.message;
  });
})();
</script>
</body>
</html>
`;
