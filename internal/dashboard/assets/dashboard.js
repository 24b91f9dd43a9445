// trustd's live page. Events come from the hub (/events): "history" once,
// then "snapshot" (the /status JSON) at a steady rate and "change" at each
// level change. Text from the daemon is only ever set as textContent.
'use strict';
(function () {
  const LEVELS = ['OK', 'WARN', 'ERROR', 'STALE'];
  const COLOURS = { OK: '#2e9d4a', WARN: '#e0a800', ERROR: '#d43c3c', STALE: '#8a8f98' };
  const GAP_MS = 1500; // a longer pause between samples breaks the line
  const SILENT_MS = 3000; // no snapshot for this long: the page says so

  const view = {
    span: 180000, // ms shown by the plots; the hub says how much it keeps
    now: 0, // server time of the latest snapshot, ms
    lastSeen: 0, // browser time of the latest snapshot, ms
    sensors: new Map(), // name → sensor view
    dirty: false,
  };

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function levelName(v) {
    if (typeof v === 'number') return LEVELS[v] || 'STALE';
    return LEVELS.includes(v) ? v : 'STALE';
  }

  function setBadge(e, lvl) {
    lvl = levelName(lvl);
    e.textContent = lvl;
    e.className = 'badge lvl-' + lvl.toLowerCase();
  }

  function num(v) {
    if (typeof v !== 'number' || !isFinite(v)) return '–';
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
    return String(Number(v.toPrecision(3)));
  }

  function clock(ms) {
    return new Date(ms).toISOString().slice(11, 23);
  }

  // facts fills a <dl> with [label, value] pairs.
  function facts(dl, pairs) {
    dl.replaceChildren();
    for (const [k, v] of pairs) {
      const d = el('div');
      d.append(el('dt', '', k), el('dd', '', v));
      dl.append(d);
    }
  }

  function sensorView(name) {
    let s = view.sensors.get(name);
    if (s) return s;
    const card = el('article', 'card sensor');
    card.dataset.sensor = name;
    const head = el('div', 'head');
    const title = el('h2', 'name', name);
    const kind = el('span', 'kind');
    const badge = el('span', 'badge level');
    const cause = el('span', 'cause');
    head.append(title, kind, badge, cause);
    const message = el('p', 'message');
    const canvas = el('canvas', 'plot');
    const dl = el('dl', 'facts');
    const reasons = el('ul', 'reasons');
    const changes = el('ul', 'changes');
    card.append(head, message, canvas, dl, reasons, changes);
    $('sensors').append(card);
    s = { name, card, kind, badge, cause, message, canvas, dl, reasons, changes, pts: [], lv: [], log: [], seen: true };
    setBadge(badge, 'STALE');
    view.sensors.set(name, s);
    return s;
  }

  function setLevel(s, lvl, cause, message) {
    lvl = levelName(lvl);
    setBadge(s.badge, lvl);
    s.card.className = 'card sensor lvl-' + lvl.toLowerCase();
    s.cause.textContent = cause ? 'cause: ' + cause : '';
    s.message.textContent = message || '';
  }

  function setReasons(s, reasons) {
    s.reasons.replaceChildren();
    for (const r of reasons || []) {
      const txt = r.code + (r.feature ? ' ' + r.feature : '') + ' = ' + num(r.value);
      s.reasons.append(el('li', 'lvl-' + levelName(r.level).toLowerCase(), txt));
    }
  }

  // addLevel records level lvl from time t on, keeping the list in time order.
  function addLevel(s, t, lvl) {
    const lv = s.lv;
    let i = lv.length;
    while (i > 0 && lv[i - 1].t > t) i--;
    if (i === lv.length && i > 0 && lv[i - 1].l === lvl) return;
    lv.splice(i, 0, { t, l: lvl });
  }

  function trim(s) {
    const cut = view.now - view.span;
    let i = 0;
    while (i < s.pts.length && s.pts[i].t < cut) i++;
    if (i > 0) s.pts.splice(0, i);
    // Keep the last level that started before the cut: it is the level at the left edge.
    let j = 0;
    while (j + 1 < s.lv.length && s.lv[j + 1].t < cut) j++;
    if (j > 0) s.lv.splice(0, j);
  }

  function logChange(s, c) {
    // The agent may report one level twice; the list keeps level changes.
    const prev = s.log[0];
    if (prev && prev.level === c.level && prev.cause === c.cause && prev.t <= c.t) return;
    s.log.unshift(c);
    s.log.length = Math.min(s.log.length, 4);
    s.changes.replaceChildren();
    for (const x of s.log) {
      const lvl = levelName(x.level);
      s.changes.append(el('li', 'lvl-' + lvl.toLowerCase(), clock(x.t) + '  → ' + lvl + (x.cause ? ' (' + x.cause + ')' : '')));
    }
  }

  function onSnapshot(st) {
    view.now = Date.parse(st.time) || Date.now();
    view.lastSeen = Date.now();
    $('conn').textContent = 'live';
    $('conn').className = 'conn live';
    $('robot').textContent = st.robot || '';
    setBadge($('summary-level'), st.summary.level);
    $('summary-message').textContent = st.summary.message || '';
    const names = new Set();
    const box = $('sensors');
    for (const x of st.sensors || []) {
      const s = sensorView(x.name);
      if (box.children[names.size] !== s.card) box.insertBefore(s.card, box.children[names.size] || null);
      names.add(x.name);
      s.kind.textContent = x.kind || '';
      setLevel(s, x.level, x.cause, x.message);
      setReasons(s, x.reasons);
      const lvl = LEVELS.indexOf(levelName(x.level));
      s.pts.push({ t: view.now, s: x.score, thr: x.threshold });
      addLevel(s, view.now, lvl);
      trim(s);
      const [id, version] = splitModel(x.model);
      const pairs = [
        ['score', num(x.score)], ['threshold', num(x.threshold)],
        ['model', id], ['version', version],
        ['rate', num(x.rate_hz) + ' Hz'], ['frames', String(x.frames)],
        ['queue drops', String(x.queue_drops)], ['scoring', x.decimation > 1 ? '1/' + x.decimation : 'every frame'],
        ['latency p95', num(x.latency_p95_ms) + ' ms'], ['health', num(x.health_score) + ' / ' + num(x.health_warn)],
      ];
      if (x.source_error) pairs.push(['source', x.source_error]);
      if (x.device_error) pairs.push(['device', x.device_error]);
      if (x.model_coverage && x.model_coverage.length) pairs.push(['model data', x.model_coverage.join(', ').replace(/_/g, ' ')]);
      facts(s.dl, pairs);
    }
    for (const [name, s] of view.sensors) {
      if (!names.has(name)) { s.card.remove(); view.sensors.delete(name); }
    }
    onHost(st.host);
    schedule();
  }

  function splitModel(m) {
    if (!m) return ['–', '–'];
    const i = m.lastIndexOf('@');
    return i < 0 ? [m, '–'] : [m.slice(0, i), m.slice(i + 1)];
  }

  function onHost(h) {
    const box = $('host');
    if (!h) { box.hidden = true; return; }
    box.hidden = false;
    setBadge($('host-level'), h.level);
    $('host-phase').textContent = 'phase: ' + (h.phase || '–') + (h.score ? ' · score ' + num(h.score) : '');
    $('host-detail').textContent = h.detail || '';
    const pairs = Object.keys(h.features || {}).sort().map(k => [k.replace(/_/g, ' '), num(h.features[k])]);
    facts($('host-features'), pairs);
  }

  function onChange(c) {
    const t = Date.parse(c.time) || Date.now();
    if (!c.sensor) {
      setBadge($('summary-level'), c.level);
      $('summary-message').textContent = c.message || '';
      return;
    }
    const s = sensorView(c.sensor);
    setLevel(s, c.level, c.cause, c.message);
    setReasons(s, c.reasons);
    addLevel(s, t, LEVELS.indexOf(levelName(c.level)));
    logChange(s, { t, level: c.level, cause: c.cause });
    schedule();
  }

  function onHistory(h) {
    if (h.span_ms > 0) view.span = h.span_ms;
    for (const s of view.sensors.values()) { s.pts = []; s.lv = []; s.log = []; s.changes.replaceChildren(); }
    let last = 0;
    for (const name of Object.keys(h.points || {})) {
      const s = sensorView(name);
      for (const [t, score, thr, lvl] of h.points[name]) {
        s.pts.push({ t, s: score, thr });
        addLevel(s, t, lvl);
        last = Math.max(last, t);
      }
    }
    for (const c of h.changes || []) {
      const t = Date.parse(c.time);
      if (!c.sensor || !t) continue;
      const s = sensorView(c.sensor);
      addLevel(s, t, LEVELS.indexOf(levelName(c.level)));
      logChange(s, { t, level: c.level, cause: c.cause });
    }
    if (last > view.now) view.now = last;
    schedule();
  }

  function schedule() {
    if (view.dirty) return;
    view.dirty = true;
    requestAnimationFrame(() => {
      view.dirty = false;
      for (const s of view.sensors.values()) draw(s);
    });
  }

  // draw plots the sensor's score on a log scale around its threshold,
  // over the levels it had.
  function draw(s) {
    const c = s.canvas;
    const dpr = window.devicePixelRatio || 1;
    const W = c.clientWidth, H = c.clientHeight;
    if (W === 0 || H === 0) return;
    if (c.width !== Math.round(W * dpr) || c.height !== Math.round(H * dpr)) {
      c.width = Math.round(W * dpr);
      c.height = Math.round(H * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const t1 = view.now, t0 = t1 - view.span;
    const x = t => (t - t0) / view.span * W;

    // Level bands: WARN, ERROR and STALE stretches, at least 2 px wide so that a flap shows.
    for (let i = 0; i < s.lv.length; i++) {
      const l = s.lv[i].l;
      if (l <= 0) continue;
      const a = Math.max(x(s.lv[i].t), 0);
      const b = i + 1 < s.lv.length ? x(s.lv[i + 1].t) : W;
      if (b < 0) continue;
      g.fillStyle = COLOURS[LEVELS[l]] + '44';
      g.fillRect(a, 0, Math.max(b - a, 2), H);
    }

    const last = s.pts.length ? s.pts[s.pts.length - 1] : null;
    const thr = last && last.thr > 0 ? last.thr : 1;
    const lo = Math.log10(thr / 100), hi = Math.log10(thr * 30);
    const y = v => {
      const lv = Math.log10(Math.max(v, thr / 100));
      return H - Math.min(Math.max((lv - lo) / (hi - lo), 0), 1) * (H - 2) - 1;
    };

    // Above the threshold a frame is bad.
    g.fillStyle = 'rgba(212,60,60,0.07)';
    g.fillRect(0, 0, W, y(thr));
    g.strokeStyle = '#d43c3c';
    g.setLineDash([5, 4]);
    g.lineWidth = 1;
    g.beginPath();
    let prev = null;
    for (const p of s.pts) {
      if (!(p.thr > 0)) { prev = null; continue; }
      if (prev === null) g.moveTo(x(p.t), y(p.thr)); else g.lineTo(x(p.t), y(p.thr));
      prev = p;
    }
    g.stroke();
    g.setLineDash([]);

    g.strokeStyle = '#1f4e9c';
    g.lineWidth = 1.5;
    g.beginPath();
    prev = null;
    for (const p of s.pts) {
      const px = x(p.t), py = y(p.s);
      if (prev === null || p.t - prev.t > GAP_MS) g.moveTo(px, py); else g.lineTo(px, py);
      prev = p;
    }
    g.stroke();

    g.fillStyle = '#667085';
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'top';
    g.fillText('−' + Math.round(view.span / 60000) + ' min', 4, H - 14);
    g.textAlign = 'right';
    g.fillText('threshold ' + num(thr), W - 4, Math.min(Math.max(y(thr) - 15, 16), H - 14));
    g.fillText(num(thr * 30), W - 4, 2);
    g.textAlign = 'left';
  }

  function connect() {
    const conn = $('conn');
    const es = new EventSource('events');
    es.onopen = () => { conn.textContent = 'live'; conn.className = 'conn live'; };
    es.onerror = () => { conn.textContent = 'reconnecting…'; conn.className = 'conn down'; };
    const on = (name, fn) => es.addEventListener(name, e => {
      let d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      fn(d);
    });
    on('history', onHistory);
    on('snapshot', onSnapshot);
    on('change', onChange);
    setInterval(() => {
      const down = view.lastSeen > 0 && Date.now() - view.lastSeen > SILENT_MS;
      document.body.classList.toggle('down', down);
      if (down && es.readyState === EventSource.OPEN) {
        conn.textContent = 'no snapshot for ' + Math.round((Date.now() - view.lastSeen) / 1000) + ' s';
        conn.className = 'conn down';
      }
    }, 1000);
    window.addEventListener('resize', schedule);
  }

  connect();
})();
