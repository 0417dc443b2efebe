// console.js: the aserial browser console. Talks to the server that served
// it: GET /exports for the list, a WebSocket /ws/NAME per connection
// (binary messages: the port's bytes; text: JSON control messages). The
// access token, if any, comes from this page's ?token= and goes along.
// The terminal view is an xterm.js Terminal when the server has xterm.js
// (GET /vendor/xterm.js, from the installed Debian package libjs-xterm):
// escape sequences are interpreted and keystrokes typed in it go to the
// port. Without it (a 404, or a file that defines no window.Terminal), the
// view is the plain-text <pre>, which takes keystrokes too.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const token = new URLSearchParams(location.search).get('token');
  const q = token ? '?token=' + encodeURIComponent(token) : '';
  const term = $('term');
  const enc = new TextEncoder();
  const dec = new TextDecoder('utf-8', { fatal: false });
  let ws = null, current = null, wanted = null, retry = null, retryMs = 500;
  let lines = { dtr: true, rts: true };
  let atLineStart = true;
  const log = [];          // the session: [time, direction, bytes]
  let xt = null;           // the xterm.js Terminal, or null: the <pre> view
  const xdec = new TextDecoder('utf-8', { fatal: false }); // its own stream state
  let xAtLineStart = true;

  function setStatus(text, cls) {
    const s = $('status');
    s.textContent = text;
    s.className = 'status ' + cls;
  }
  function message(text) { $('messages').textContent = text; }
  function stamp() {
    const d = new Date();
    return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
  }

  // ---- the terminal view ----------------------------------------------------
  function append(node) {
    const stick = term.scrollTop + term.clientHeight >= term.scrollHeight - 4;
    term.appendChild(node);
    while (term.childNodes.length > 5000) term.removeChild(term.firstChild);
    if (stick) term.scrollTop = term.scrollHeight;
  }
  function sendBytes(bytes) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(bytes);
    log.push([Date.now(), 'tx', bytes]);
  }
  // Into the xterm: the bytes as they are (escape sequences work), or as
  // text lines when hex or timestamps are on. The hidden <pre> keeps its
  // plain-text copy too (the log as text, for the tests and a fallback).
  function showXterm(bytes) {
    const hex = $('hex').checked, stamps = $('stamps').checked;
    if (!hex && !stamps) {
      const raw = xdec.decode(bytes, { stream: true });
      xt.write(raw);
      if (raw) xAtLineStart = /[\r\n]$/.test(raw);
      return;
    }
    const text = hex ? Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ') + ' '
                     : xdec.decode(bytes, { stream: true }).replace(/\r\n/g, '\n').replace(/\r/g, '\n');
    if (!stamps) {
      xt.write(text);
      if (text) xAtLineStart = text.endsWith('\n');
      return;
    }
    let out = '';
    text.split('\n').forEach((p, i) => {
      if (i > 0) { out += '\r\n'; xAtLineStart = true; }
      if (p === '') return;
      if (xAtLineStart) { out += '\x1b[32m[' + stamp() + ']\x1b[0m '; xAtLineStart = false; }
      out += p;
    });
    xt.write(out);
  }
  function show(bytes, cls) {
    if (xt) showXterm(bytes);
    let text;
    if ($('hex').checked) {
      text = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ') + ' ';
    } else {
      text = dec.decode(bytes, { stream: true }).replace(/\r\n/g, '\n').replace(/\r/g, '\n');
    }
    if ($('stamps').checked) {
      const parts = text.split('\n');
      parts.forEach((p, i) => {
        if (i > 0) { append(document.createTextNode('\n')); atLineStart = true; }
        if (p === '') return;
        if (atLineStart) {
          const st = document.createElement('span');
          st.className = 'stamp';
          st.textContent = '[' + stamp() + '] ';
          append(st);
          atLineStart = false;
        }
        const span = document.createElement('span');
        if (cls) span.className = cls;
        span.textContent = p;
        append(span);
      });
      return;
    }
    const span = document.createElement('span');
    if (cls) span.className = cls;
    span.textContent = text;
    append(span);
    atLineStart = text.endsWith('\n');
  }

  // ---- exports ----------------------------------------------------------------
  async function loadExports() {
    const ul = $('exports');
    try {
      const r = await fetch('exports' + q);
      if (!r.ok) throw new Error((await r.text()).trim());
      const list = await r.json();
      ul.textContent = '';
      for (const e of list) {
        const li = document.createElement('li');
        const name = document.createElement('span');
        name.textContent = e.name + ' ';
        const st = document.createElement('small');
        st.textContent = e.state + ', ' + e.config + ', ' + e.clients + '/' + e.max_clients;
        st.className = e.state;
        name.appendChild(st);
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = current === e.name ? 'Disconnect' : 'Connect';
        b.dataset.name = e.name;
        b.className = 'connect';
        b.onclick = () => (current === e.name ? disconnect() : connect(e.name));
        li.append(name, b);
        ul.appendChild(li);
      }
      if (!list.length) ul.textContent = 'no exports';
    } catch (err) {
      ul.textContent = 'cannot list the exports: ' + err.message;
    }
  }

  // ---- the connection -----------------------------------------------------------
  function enable(on) {
    for (const id of ['send', 'sendbtn', 'dtr', 'rts', 'break', 'apply']) $(id).disabled = !on;
  }
  function control(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }
  function connect(name) {
    disconnect(true);
    wanted = name;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host +
                '/ws/' + encodeURIComponent(name) + q;
    setStatus('connecting to ' + name, 'wait');
    ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      current = name;
      retryMs = 500;
      setStatus('connected: ' + name, 'up');
      message('');
      enable(true);
      loadExports();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') return onControl(JSON.parse(ev.data));
      const bytes = new Uint8Array(ev.data);
      log.push([Date.now(), 'rx', bytes]);
      show(bytes, '');
    };
    ws.onclose = (ev) => {
      enable(false);
      ws = null;
      current = null;
      if (wanted === name) {
        setStatus('disconnected from ' + name + (ev.reason ? ' (' + ev.reason + ')' : '') +
                  '; reconnecting', 'down');
        retry = setTimeout(() => connect(name), retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      } else {
        setStatus('not connected', 'idle');
      }
      loadExports();
    };
  }
  function disconnect(quiet) {
    wanted = null;
    if (retry) clearTimeout(retry);
    retry = null;
    if (ws) ws.close(1000, 'closed by the user');
    ws = null;
    current = null;
    enable(false);
    if (!quiet) setStatus('not connected', 'idle');
    loadExports();
  }

  // ---- the settings form ---------------------------------------------------------
  // Filled from the port: the config in the hello and in every settings
  // message (sent to each browser whoever changed the port: another
  // browser, an RFC 2217 client, the export's own settings coming back).
  // A field the person changed is theirs until Apply, and Apply sends only
  // those fields: the rest of the port's settings stay as they are.
  const FIELDS = ['baud', 'framing', 'flow'];
  const edited = new Set();
  let lastConfig = null;
  for (const id of FIELDS) {
    $(id).addEventListener('input', () => edited.add(id));
    $(id).addEventListener('change', () => edited.add(id));
  }
  function setField(id, value) {
    const el = $(id);
    if (el.tagName === 'SELECT' && ![...el.options].some((o) => o.value === value)) {
      const o = document.createElement('option'); // a setting the list lacks (7N2, dtrdsr...)
      o.value = o.textContent = value;
      el.appendChild(o);
    }
    el.value = value;
  }
  function fillSettings(config) {
    lastConfig = config;
    $('config').textContent = config;
    const t = String(config).split(/[,\s]+/);
    const flows = t.filter((x) => x === 'rtscts' || x === 'xonxoff' || x === 'dtrdsr');
    const now = {
      baud: /^\d+$/.test(t[0]) ? t[0] : '',
      framing: t.find((x) => /^[5-8][NOEMS][12](\.5)?$/.test(x)) || '',
      flow: flows.length ? flows.join(',') : 'none',
    };
    for (const id of FIELDS) if (!edited.has(id) && now[id]) setField(id, now[id]);
  }

  function lamp(id, v) {
    $(id).className = 'lamp' + (v === null || v === undefined ? ' unknown' : v ? ' on' : '');
  }
  function onControl(m) {
    switch (m.type) {
      case 'hello':
        edited.clear();
        fillSettings(m.config);
        break;
      case 'settings':
        fillSettings(m.config);
        break;
      case 'lines':
        lines = m;
        lamp('lamp-cts', m.cts); lamp('lamp-dsr', m.dsr); lamp('lamp-cd', m.cd); lamp('lamp-ri', m.ri);
        $('dtr').classList.toggle('on', !!m.dtr);
        $('rts').classList.toggle('on', !!m.rts);
        break;
      case 'link':
        if (m.state === 'lost') setStatus('port lost: ' + current + '; waiting for it', 'down');
        else if (m.state === 'back') setStatus('connected: ' + current + ' (port back)', 'up');
        else setStatus('port gave up: ' + current, 'down');
        break;
      case 'error':
        message(m.message);
        if (lastConfig !== null) fillSettings(lastConfig); // an Apply refused: show the port's
        break;
      case 'lineerr':
        message('line error: ' + Object.keys(m).filter((k) => m[k] === true).join(', '));
        break;
    }
  }

  // ---- controls -----------------------------------------------------------------
  $('sendform').onsubmit = (ev) => {
    ev.preventDefault();
    if (!ws) return;
    sendBytes(enc.encode($('send').value + JSON.parse('"' + $('eol').value + '"')));
    $('send').value = '';
  };
  $('dtr').onclick = () => control({ type: 'lines', dtr: !lines.dtr });
  $('rts').onclick = () => control({ type: 'lines', rts: !lines.rts });
  $('break').onclick = () => control({ type: 'break', ms: 250 });
  $('settings').onsubmit = (ev) => {
    ev.preventDefault();
    const parts = FIELDS.filter((id) => edited.has(id)).map((id) => $(id).value.trim());
    edited.clear();
    if (!parts.length) return message('nothing to apply: change a setting first');
    control({ type: 'settings', config: parts.join(',') });
  };
  $('hex').onchange = () => { // hex on or off: from a new line
    if (xt && !xAtLineStart) xt.write('\r\n');
    if (!atLineStart) append(document.createTextNode('\n'));
    atLineStart = xAtLineStart = true;
  };
  $('refresh').onclick = loadExports;
  $('clear').onclick = () => {
    if (xt) xt.clear();
    term.textContent = '';
    atLineStart = xAtLineStart = true;
  };
  $('download').onclick = () => {
    const text = log.map(([t, dir, b]) => new Date(t).toISOString() + ' ' + dir + ' ' +
      JSON.stringify(dec.decode(b))).join('\n') + '\n';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    a.download = 'aserial-session.log';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  // ---- keystrokes and xterm.js ------------------------------------------------------
  // The <pre> view: printable keys, Enter (CR), Backspace (DEL), Tab, Esc
  // and Ctrl+letter go to the port.
  term.addEventListener('keydown', (ev) => {
    if (xt || ev.metaKey || ev.altKey) return;
    let s = null;
    if (ev.ctrlKey && /^[a-z]$/i.test(ev.key)) s = String.fromCharCode(ev.key.toUpperCase().charCodeAt(0) - 64);
    else if (ev.ctrlKey) return;
    else if (ev.key.length === 1) s = ev.key;
    else s = { Enter: '\r', Backspace: '\x7f', Tab: '\t', Escape: '\x1b' }[ev.key] || null;
    if (s === null) return;
    ev.preventDefault();
    sendBytes(enc.encode(s));
  });
  function startXterm() {
    if (typeof window.Terminal !== 'function') return false;
    try {
      xt = new window.Terminal({ scrollback: 5000, cursorBlink: true, fontSize: 13,
                                 rows: 24, cols: 100 });
      const box = $('xterm');
      box.hidden = false;
      xt.open(box);
    } catch (err) {
      xt = null;
      $('xterm').hidden = true;
      return false;
    }
    const onData = (d) => sendBytes(enc.encode(d));
    if (typeof xt.onData === 'function') xt.onData(onData); // xterm.js 4 and later
    else xt.on('data', onData);                             // xterm.js 3
    term.hidden = true;
    window.aserialTerm = xt; // for the tests: its buffer is the terminal's text
    return true;
  }
  function loadXterm(done) {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = 'vendor/xterm.css' + q;
    document.head.appendChild(css);
    const js = document.createElement('script');
    js.src = 'vendor/xterm.js' + q;
    js.onload = () => done(startXterm());
    js.onerror = () => done(false);
    document.head.appendChild(js);
  }
  enable(false);
  loadXterm((ok) => { window.aserialView = ok ? 'xterm' : 'text'; });
  loadExports();
})();
