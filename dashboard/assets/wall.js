/* JCOC wall: a websocket client of the hub (/ws, docs/hub-protocol.md) that draws the live
 * panels straight into the DOM, ticks ages and SLA clocks every second, marks stale data,
 * and reconnects with backoff, resuming from the last epoch/seq it saw. */
(function () {
  "use strict";
  if (!/\/wall\/?$/.test(window.location.pathname)) { return; }

  var I18N = {
    id: {
      subtitle: "Pusat Operasi Kota Jambi", kpis: "Indikator", services: "Layanan OPD",
      incidents: "Insiden terbuka", cameras: "Kamera", map: "Peta Kota Jambi", trends: "Tren",
      live: "TERHUBUNG", connecting: "MENYAMBUNG…", down: "TERPUTUS",
      hubdown: "SUMBER DATA TERGANGGU",
      banner_down: "Koneksi ke server terputus — data di layar BASI, menyambung ulang otomatis…",
      banner_hub: "Server kehilangan sumber data (bus/basis data) — data di layar BASI.",
      stale: "BASI", ago: "lalu", none: "Tidak ada insiden terbuka", breached: "LEWAT",
      left: "sisa", up: "normal", degraded: "terganggu", down_s: "mati", maintenance: "perawatan",
      unknown: "tak diketahui", stale_s: "basi", open: "terbuka", avail: "Ketersediaan 24j",
      events_min: "Kejadian/menit", sev1: "KRITIS", sev2: "TINGGI", sev3: "SEDANG", sev4: "RENDAH",
      s_services: "Layanan", s_incidents: "Insiden", s_cameras: "Kamera ok",
      ack: "tanggapi", resolve: "selesaikan", lang: "EN",
      u_s: "dtk", u_m: "mnt", u_h: "jam", u_d: "hr",
      h_ok: "OK", h_offline: "MATI", h_frozen: "BEKU", h_black: "HITAM", h_blurred: "BURAM",
      h_covered: "TERTUTUP", h_moved: "BERGESER", h_unknown: "?",
      h_overexposed: "SILAU", h_degraded: "TERGANGGU"
    },
    en: {
      subtitle: "Jambi City Operation Center", kpis: "Indicators", services: "Agency services",
      incidents: "Open incidents", cameras: "Cameras", map: "Kota Jambi map", trends: "Trends",
      live: "CONNECTED", connecting: "CONNECTING…", down: "DISCONNECTED",
      hubdown: "DATA SOURCE DEGRADED",
      banner_down: "Connection to the server lost — data on screen is STALE, reconnecting…",
      banner_hub: "The server lost a data source (bus/database) — data on screen is STALE.",
      stale: "STALE", ago: "ago", none: "No open incidents", breached: "OVERDUE",
      left: "left", up: "up", degraded: "degraded", down_s: "down", maintenance: "maintenance",
      unknown: "unknown", stale_s: "stale", open: "open", avail: "Availability 24h",
      events_min: "Events/minute", sev1: "CRITICAL", sev2: "HIGH", sev3: "MEDIUM", sev4: "LOW",
      s_services: "Services", s_incidents: "Incidents", s_cameras: "Cameras ok",
      ack: "ack", resolve: "resolve", lang: "ID",
      u_s: "s", u_m: "min", u_h: "h", u_d: "d",
      h_ok: "OK", h_offline: "OFFLINE", h_frozen: "FROZEN", h_black: "BLACK", h_blurred: "BLURRED",
      h_covered: "COVERED", h_moved: "MOVED", h_unknown: "?",
      h_overexposed: "OVEREXPOSED", h_degraded: "DEGRADED"
    }
  };
  var TOPICS = ["summary", "services", "agencies", "incidents", "cameras", "kpis"];
  var params = new URLSearchParams(window.location.search);
  var S = {
    lang: params.get("lang") === "en" ? "en" : "id",
    token: params.get("kiosk") || params.get("token") || "",
    topics: {}, epoch: null, seq: null, offset: 0, heartbeat: 15,
    ws: null, connected: false, hubOk: true, lastMsg: 0, attempt: 0,
    eventsPerMinute: {}, availability: [], dirty: true, lastApplied: null
  };
  TOPICS.forEach(function (t) { S.topics[t] = {}; });
  window.jcocWall = S;

  function t(key) { return (I18N[S.lang] || I18N.id)[key] || key; }
  function now() { return Date.now() + S.offset; }
  function el(id) { return document.getElementById(id); }
  function ms(iso) { var v = iso ? Date.parse(iso) : NaN; return isNaN(v) ? null : v; }
  function fmtAge(sec) {
    if (sec === null) { return "–"; }
    sec = Math.max(0, Math.round(sec));
    // "31 dtk" / "5 mnt" / "2 jam" (ID), "31 s" / "5 min" / "2 h" (EN): never a bare "d"
    if (sec < 60) { return sec + " " + t("u_s"); }
    if (sec < 3600) { return Math.floor(sec / 60) + " " + t("u_m"); }
    if (sec < 172800) { return Math.floor(sec / 3600) + " " + t("u_h"); }
    return Math.floor(sec / 86400) + " " + t("u_d");
  }
  // Numbers: integers without decimals, 4.334 (ID) / 4,334 (EN), fewer decimals as they grow.
  function fmtNum(v) {
    if (typeof v !== "number" || !isFinite(v)) { return "–"; }
    var a = Math.abs(v);
    var digits = Number.isInteger(v) || a >= 100 ? 0 : a >= 10 ? 1 : 2;
    return new Intl.NumberFormat(S.lang === "en" ? "en-US" : "id-ID",
      { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(v);
  }
  function fmtClock(sec) {
    var neg = sec < 0; sec = Math.abs(Math.round(sec));
    var h = Math.floor(sec / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
    var txt = (h ? h + ":" : "") + (h && m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
    return (neg ? "+" : "") + txt;
  }
  function mk(tag, cls, attrs, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function setAttr(e, k, v) { v = String(v); if (e.getAttribute(k) !== v) { e.setAttribute(k, v); } }
  function setText(e, v) { v = String(v); if (e.textContent !== v) { e.textContent = v; } }
  function statusLabel(s) {
    return t({ up: "up", degraded: "degraded", down: "down_s", maintenance: "maintenance",
      stale: "stale_s" }[s] || "unknown");
  }
  // Plotly shows naive times as given: hand it WIB wall-clock time (UTC+7, no DST).
  function wibIso(t) { return new Date(t + 7 * 3600000).toISOString().slice(0, 19); }
  function cssEsc(v) { return window.CSS && CSS.escape ? CSS.escape(v) : v; }

  /* ---------- connection ---------- */
  function wsUrl() {
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = proto + "//" + window.location.host + "/ws";
    return S.token ? url + "?token=" + encodeURIComponent(S.token) : url;
  }
  function connect() {
    setConn("connecting");
    var ws;
    try { ws = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(); return; }
    S.ws = ws;
    ws.onopen = function () {
      var msg = { op: "subscribe", topics: TOPICS };
      if (S.epoch !== null && S.seq !== null) { msg.since = { epoch: S.epoch, seq: S.seq }; }
      ws.send(JSON.stringify(msg));
    };
    ws.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      S.lastMsg = Date.now();
      handle(msg);
    };
    ws.onclose = function () {
      if (S.ws === ws) { S.ws = null; S.connected = false; setConn("down"); scheduleReconnect(); }
    };
    ws.onerror = function () { try { ws.close(); } catch (e) { /* closing anyway */ } };
  }
  function scheduleReconnect() {
    var delay = Math.min(10000, 500 * Math.pow(2, S.attempt)) * (0.75 + Math.random() * 0.5);
    S.attempt += 1;
    window.setTimeout(connect, delay);
  }
  function setConn(state) {
    var root = el("wall"), c = el("wall-conn"), b = el("wall-banner");
    if (!root || !c) { return; }
    var shown = state === "live" && !S.hubOk ? "degraded" : state;
    S.dirty = true;  // figures grey out / recolour too
    setAttr(root, "data-connection", shown);
    setAttr(c, "data-state", shown);
    setText(c, t({ live: "live", connecting: "connecting", down: "down", degraded: "hubdown" }[shown]));
    if (b) {
      setText(b, shown === "down" || shown === "connecting" && S.attempt > 0 ? t("banner_down")
        : shown === "degraded" ? t("banner_hub") : "");
    }
  }
  function handle(msg) {
    if (msg.server_time) { var st = ms(msg.server_time); if (st) { S.offset = st - Date.now(); } }
    switch (msg.type) {
      case "hello":
        S.heartbeat = msg.heartbeat_s || 15;
        if (S.epoch !== null && msg.epoch !== S.epoch) { S.seq = null; }
        S.epoch = msg.epoch;
        S.connected = true; S.attempt = 0; setConn("live");
        break;
      case "snapshot":
        S.topics[msg.topic] = msg.data || {};
        if (typeof msg.seq === "number") { S.seq = msg.seq; }
        renderTopic(msg.topic);
        break;
      case "update":
        if (!S.topics[msg.topic]) { S.topics[msg.topic] = {}; }
        if (msg.data === null) { delete S.topics[msg.topic][msg.key]; }
        else { S.topics[msg.topic][msg.key] = msg.data; }
        if (typeof msg.seq === "number") { S.seq = msg.seq; }
        countEvent(msg.topic);
        renderItem(msg.topic, String(msg.key));
        break;
      case "ping":
        if (S.ws) { S.ws.send(JSON.stringify({ op: "pong" })); }
        break;
      case "status":
        S.hubOk = msg.bus_connected !== false && msg.db_connected !== false;
        setConn(S.connected ? "live" : "down");
        break;
      default:
        break;
    }
    S.lastApplied = Date.now();
    S.dirty = true;
  }
  function countEvent(topic) {
    if (topic !== "services" && topic !== "incidents" && topic !== "cameras") { return; }
    var minute = Math.floor(now() / 60000) * 60000;
    S.eventsPerMinute[minute] = (S.eventsPerMinute[minute] || 0) + 1;
  }

  /* ---------- rendering ---------- */
  function renderTopic(topic) {
    if (topic === "services" || topic === "agencies") { renderMatrix(); }
    else if (topic === "kpis") { renderKpis(); }
    else if (topic === "incidents") { renderIncidents(); }
    else if (topic === "cameras") { renderCameras(); }
    else if (topic === "summary") { renderSummary(); }
  }
  function renderItem(topic, key) {
    if (topic === "services") {
      var cell = document.querySelector('[data-service="' + cssEsc(key) + '"]');
      var item = S.topics.services[key];
      if (cell && item) { fillService(cell, item); return; }
      renderMatrix(); return;
    }
    if (topic === "kpis") {
      var tile = document.querySelector('[data-kpi="' + cssEsc(key) + '"]');
      if (tile && S.topics.kpis[key]) { fillKpi(tile, S.topics.kpis[key]); return; }
    }
    if (topic === "cameras") {
      var cam = document.querySelector('[data-camera="' + cssEsc(key) + '"]');
      if (cam && S.topics.cameras[key]) { fillCamera(cam, S.topics.cameras[key]); return; }
    }
    renderTopic(topic);
  }
  function itemStale(item) {
    return !S.connected || !S.hubOk || !!(item && item.stale);
  }
  function markAge(node, item) {
    var tm = ms(item && item.time);
    setAttr(node, "data-time", item && item.time ? item.time : "");
    var stale = itemStale(item);
    setAttr(node, "data-stale", stale ? "true" : "false");
    var age = node.querySelector(".age");
    if (age) {
      setText(age, (stale ? t("stale") + " · " : "") + fmtAge(tm === null ? null : (now() - tm) / 1000));
    }
  }

  var STATUS_ICON = { up: "✓", degraded: "!", down: "✕", maintenance: "⚙", stale: "≈", unknown: "?" };
  var STATUS_RANK = { down: 0, degraded: 1, stale: 2, unknown: 3, maintenance: 4, up: 5 };
  function shortName(item) { return item.service || item.name || ""; }
  function renderMatrix() {
    var box = el("wall-services"); if (!box) { return; }
    var services = S.topics.services, agencies = S.topics.agencies, groups = {};
    var layoutKey = Object.keys(services).sort().map(function (c) { return services[c].agency + "/" + c; }).join(",");
    if (box.getAttribute("data-layout") === layoutKey) {  // same cells: update in place
      box.querySelectorAll("[data-service]").forEach(function (cell) {
        fillService(cell, services[cell.getAttribute("data-service")]);
      });
      return;
    }
    box.setAttribute("data-layout", layoutKey);
    Object.keys(services).sort().forEach(function (code) {
      var a = services[code].agency || "-";
      (groups[a] = groups[a] || []).push(code);
    });
    box.textContent = "";
    Object.keys(groups).sort().forEach(function (a) {
      var row = mk("div", "matrix-row", { "data-agency": a });
      var ag = agencies[a];
      row.appendChild(mk("div", "matrix-agency", { title: ag && ag.name ? ag.name : a }, a.toUpperCase()));
      var cells = mk("div", "matrix-cells");
      groups[a].forEach(function (code) {
        var cell = mk("div", "svc", { "data-service": code, role: "img" });
        cell.appendChild(mk("span", "svc-icon", { "aria-hidden": "true" }));
        cell.appendChild(mk("span", "svc-name"));
        cell.appendChild(mk("span", "svc-status"));
        cell.appendChild(mk("span", "age"));
        fillService(cell, services[code], true);
        cells.appendChild(cell);
      });
      row.appendChild(cells);
      box.appendChild(row);
      sortCells(cells);
    });
    fitMatrix(true);
  }
  // Problems first within the agency (down, degraded, stale, unknown, maintenance, up).
  function sortCells(cells) {
    var nodes = Array.prototype.slice.call(cells.children);
    var rank = function (n) {
      return STATUS_RANK[n.getAttribute("data-status")] === undefined ? 3 : STATUS_RANK[n.getAttribute("data-status")];
    };
    var sorted = nodes.slice().sort(function (x, y) {
      return rank(x) - rank(y) || (x.getAttribute("data-service") < y.getAttribute("data-service") ? -1 : 1);
    });
    if (sorted.some(function (n, i) { return n !== nodes[i]; })) {
      sorted.forEach(function (n) { cells.appendChild(n); });
    }
  }
  function fillService(cell, item, building) {
    var before = cell.getAttribute("data-status");
    var status = item.status || "unknown";
    setAttr(cell, "data-status", status);
    setText(cell.querySelector(".svc-icon"), STATUS_ICON[status] || "?");
    setText(cell.querySelector(".svc-name"), shortName(item));
    setText(cell.querySelector(".svc-status"), statusLabel(item.status));
    setAttr(cell, "aria-label", (item.name || item.service) + ": " + statusLabel(item.status));
    setAttr(cell, "title", (item.name || item.service) + (item.message ? " — " + item.message : ""));
    markAge(cell, item);
    if (!building && before !== status && cell.parentNode) { sortCells(cell.parentNode); fitMatrix(true); }
  }
  // Scale the matrix font so every agency row fits the panel (largest size that fits).
  function fitMatrix(force) {
    var box = el("wall-services"); if (!box || !box.clientHeight) { return; }
    var size = box.clientWidth + "x" + box.clientHeight;
    if (!force && box.getAttribute("data-fit-size") === size) { return; }
    box.setAttribute("data-fit-size", size);
    var fit = 1.5;
    box.style.setProperty("--fit", String(fit));
    while (fit > 0.55 && box.scrollHeight > box.clientHeight + 1) {
      fit = Math.round((fit - 0.05) * 100) / 100;
      box.style.setProperty("--fit", String(fit));
    }
  }

  function sparkline(trend) {
    var svgNS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(svgNS, "svg");
    svg.setAttribute("viewBox", "0 0 100 30"); svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("class", "spark");
    var vals = (trend || []).map(function (p) { return Array.isArray(p) ? p[1] : p; })
      .filter(function (v) { return typeof v === "number"; });
    if (vals.length > 1) {
      var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals), span = hi - lo || 1;
      var pts = vals.map(function (v, i) {
        return (i * 100 / (vals.length - 1)).toFixed(1) + "," + (28 - (v - lo) / span * 26).toFixed(1);
      }).join(" ");
      var line = document.createElementNS(svgNS, "polyline");
      line.setAttribute("points", pts);
      svg.appendChild(line);
    }
    return svg;
  }
  function renderKpis() {
    var box = el("wall-kpis"); if (!box) { return; }
    box.textContent = "";
    var codes = Object.keys(S.topics.kpis).sort();
    codes.forEach(function (code) {
      var tile = mk("div", "kpi", { "data-kpi": code });
      tile.appendChild(mk("div", "kpi-name"));
      var value = mk("div", "kpi-value");
      value.appendChild(mk("span", "kpi-num"));
      value.appendChild(mk("span", "kpi-unit"));
      tile.appendChild(value);
      var foot = mk("div", "kpi-foot");
      foot.appendChild(mk("div", "spark-box"));
      foot.appendChild(mk("span", "age"));
      tile.appendChild(foot);
      fillKpi(tile, S.topics.kpis[code]);
      box.appendChild(tile);
    });
    fitKpis(true);
  }
  // All KPI tiles are visible: as many columns as fit at ~6.5em, then as many rows as needed.
  function fitKpis(force) {
    var box = el("wall-kpis"); if (!box || !box.clientWidth) { return; }
    var n = box.children.length, size = box.clientWidth + "/" + n;
    if (!force && box.getAttribute("data-fit-size") === size) { return; }
    box.setAttribute("data-fit-size", size);
    var em = parseFloat(window.getComputedStyle(box).fontSize) || 16;
    var maxCols = Math.max(1, Math.floor(box.clientWidth / (6.5 * em)));
    var rows = Math.max(1, Math.ceil(n / maxCols));
    box.style.setProperty("--kpi-cols", String(Math.max(1, Math.ceil(n / rows))));
    box.querySelectorAll(".kpi-value").forEach(fitText);
  }
  // Shrink one line of text until it fits its box (down to 60 %).
  function fitText(node) {
    node.style.fontSize = "";
    if (!node.clientWidth) { return; }
    var scale = 1;
    while (scale > 0.6 && node.scrollWidth > node.clientWidth + 1) {
      scale -= 0.08; node.style.fontSize = (1.45 * scale).toFixed(3) + "em";
    }
  }
  function fillKpi(tile, item) {
    setAttr(tile, "data-level", item.level || "ok");
    setText(tile.querySelector(".kpi-name"), item.name || item.kpi);
    setAttr(tile, "title", (item.name || item.kpi) + (item.agency ? " (" + item.agency.toUpperCase() + ")" : ""));
    var num = tile.querySelector(".kpi-num"), unit = tile.querySelector(".kpi-unit");
    var text = fmtNum(item.value), changed = num.textContent !== text || unit.textContent !== (item.unit || "");
    setText(num, text);
    setText(unit, item.unit || "");
    if (changed && tile.parentNode) { fitText(tile.querySelector(".kpi-value")); }
    var box = tile.querySelector(".spark-box");
    box.textContent = ""; box.appendChild(sparkline(item.trend));
    markAge(tile, item);
  }

  function renderIncidents() {
    var box = el("wall-incidents"); if (!box) { return; }
    var items = Object.keys(S.topics.incidents).map(function (k) { return S.topics.incidents[k]; });
    items.sort(function (a, b) {
      return (a.severity - b.severity) || ((ms(b.opened_at) || 0) - (ms(a.opened_at) || 0));
    });
    var newestCritical = null;
    items.forEach(function (i) {
      if (i.severity === 1 && (!newestCritical || (ms(i.opened_at) || 0) > (ms(newestCritical.opened_at) || 0))) {
        newestCritical = i;
      }
    });
    box.textContent = "";
    if (!items.length) { box.appendChild(mk("div", "empty", {}, t("none"))); }
    items.slice(0, 12).forEach(function (i) {
      var row = mk("div", "incident", {
        "data-incident": String(i.id), "data-severity": String(i.severity),
        "data-incident-status": i.status || "", "data-sla": (i.sla && i.sla.state) || "ok"
      });
      if (newestCritical && newestCritical.id === i.id) { row.classList.add("flash"); }
      row.appendChild(mk("span", "sev", {}, t("sev" + i.severity)));
      row.appendChild(mk("span", "inc-title", {}, i.title || ""));
      row.appendChild(mk("span", "inc-where", {}, [i.kecamatan, i.agency].filter(Boolean).join(" · ")));
      row.appendChild(mk("span", "sla-clock"));
      row.appendChild(mk("span", "age"));
      box.appendChild(row);
    });
    tickIncidents();
  }
  function tickIncidents() {
    var rows = document.querySelectorAll("#wall-incidents [data-incident]");
    rows.forEach(function (row) {
      var i = S.topics.incidents[row.getAttribute("data-incident")];
      if (!i) { return; }
      var due = ms(i.sla && i.sla.due_at) || ms(i.acknowledged_at ? i.resolve_due_at : i.ack_due_at);
      var clock = row.querySelector(".sla-clock");
      if (due !== null) {
        var left = (due - now()) / 1000;
        setAttr(row, "data-sla", left < 0 ? "breached" : (i.sla && i.sla.state) || "ok");
        setText(clock, left < 0 ? t("breached") + " " + fmtClock(left) : fmtClock(left) + " " + t("left"));
      } else { setText(clock, ""); }
      markAge(row, { time: i.opened_at, stale: i.stale });
    });
  }

  function snapshotUrl(code) {
    var url = "/cameras/" + encodeURIComponent(code) + "/snapshot.jpg?t=" + Date.now();
    return S.token ? url + "&kiosk=" + encodeURIComponent(S.token) : url;
  }
  function renderCameras() {
    var box = el("wall-cameras"); if (!box) { return; }
    box.textContent = "";
    Object.keys(S.topics.cameras).sort().forEach(function (code) {
      var tile = mk("figure", "cam", { "data-camera": code });
      var img = mk("img", "cam-img", { alt: code });
      img.onerror = function () { img.classList.add("broken"); };
      img.onload = function () { img.classList.remove("broken"); };
      tile.appendChild(img);
      var top = mk("div", "cam-top");  // over the picture: health badge, age
      top.appendChild(mk("span", "badge"));
      top.appendChild(mk("span", "age"));
      tile.appendChild(top);
      var cap = mk("figcaption", "cam-cap");
      cap.appendChild(mk("span", "cam-name"));
      tile.appendChild(cap);
      fillCamera(tile, S.topics.cameras[code]);
      box.appendChild(tile);
    });
    fitCameras(true);
    refreshSnapshots();
  }
  function fillCamera(tile, item) {
    var health = item.health || "unknown";
    setAttr(tile, "data-health", health);
    setText(tile.querySelector(".cam-name"), item.name || item.camera);
    setText(tile.querySelector(".badge"), I18N[S.lang]["h_" + health] || health);
    setAttr(tile, "title", (item.name || item.camera) + (item.kecamatan ? " — " + item.kecamatan : "") + ": " + health);
    markAge(tile, item);
  }
  // Pick the column count that gives the largest 16:9 thumbnails fitting the whole panel.
  function fitCameras(force) {
    var box = el("wall-cameras"); if (!box || !box.clientWidth || !box.clientHeight) { return; }
    var n = box.children.length, size = box.clientWidth + "x" + box.clientHeight + "/" + n;
    if (!n || (!force && box.getAttribute("data-fit-size") === size)) { return; }
    box.setAttribute("data-fit-size", size);
    var first = box.children[0], cap = first.querySelector(".cam-cap");
    var gap = parseFloat(window.getComputedStyle(box).columnGap) || 4;
    var border = (first.offsetWidth - first.clientWidth) || 4;
    var capH = cap ? cap.offsetHeight : 16;
    var best = { w: 0, cols: 1 };
    for (var cols = 1; cols <= n; cols++) {
      var rows = Math.ceil(n / cols);
      var byW = (box.clientWidth - gap * (cols - 1)) / cols - border;
      var byH = ((box.clientHeight - gap * (rows - 1)) / rows - capH - border) * 16 / 9;
      var w = Math.floor(Math.min(byW, byH));
      if (w > best.w) { best = { w: w, cols: cols }; }
    }
    box.style.setProperty("--cam-cols", String(best.cols));
    box.style.setProperty("--cam-w", (best.w + border) + "px");
  }
  function refreshSnapshots() {
    document.querySelectorAll("#wall-cameras [data-camera]").forEach(function (tile) {
      var img = tile.querySelector("img");
      if (img && S.connected) { img.src = snapshotUrl(tile.getAttribute("data-camera")); }
    });
  }

  function renderSummary() {
    var box = el("wall-summary"); if (!box) { return; }
    var c = S.topics.summary.city;
    box.textContent = "";
    if (!c) { return; }
    var svc = c.services || {}, inc = c.incidents || {}, cams = c.cameras || {};
    var total = 0; Object.keys(svc).forEach(function (k) { total += svc[k] || 0; });
    var camTotal = 0; Object.keys(cams).forEach(function (k) { camTotal += cams[k] || 0; });
    var tiles = [
      ["services", t("s_services"), (svc.up || 0) + "/" + total,
        (svc.down || 0) > 0 ? "crit" : ((svc.degraded || 0) + (svc.stale || 0)) > 0 ? "warn" : "ok"],
      ["incidents", t("s_incidents"), String(inc.open || 0),
        (inc.breached || 0) > 0 || ((inc.by_severity || {})["1"] || 0) > 0 ? "crit" : (inc.open || 0) > 0 ? "warn" : "ok"],
      ["cameras", t("s_cameras"), (cams.ok || 0) + "/" + camTotal,
        (cams.offline || 0) > 0 ? "warn" : "ok"],
      ["availability", t("avail"), typeof c.availability_24h === "number"
        ? new Intl.NumberFormat(S.lang === "en" ? "en-US" : "id-ID", { minimumFractionDigits: 1,
          maximumFractionDigits: 1 }).format(c.availability_24h * 100) + "%" : "–",
        c.availability_24h < 0.95 ? "crit" : c.availability_24h < 0.99 ? "warn" : "ok"]
    ];
    tiles.forEach(function (d) {
      var tile = mk("div", "sum", { "data-kpi": "summary." + d[0], "data-level": d[3] });
      tile.appendChild(mk("div", "sum-label", {}, d[1]));
      tile.appendChild(mk("div", "sum-value", {}, d[2]));
      tile.appendChild(mk("div", "age"));
      markAge(tile, c);
      box.appendChild(tile);
    });
    if (typeof c.availability_24h === "number") {
      S.availability.push([wibIso(now()), c.availability_24h * 100]);
      if (S.availability.length > 240) { S.availability.shift(); }
    }
  }

  /* ---------- every second ---------- */
  function tick() {
    var clock = el("wall-clock");
    if (clock) {
      var wib = new Date(now()).toLocaleTimeString("id-ID", { timeZone: "Asia/Jakarta", hour12: false });
      var day = new Date(now()).toLocaleDateString(S.lang === "en" ? "en-GB" : "id-ID",
        { timeZone: "Asia/Jakarta", weekday: "short", day: "numeric", month: "short" });
      setText(clock, day + " " + wib + " WIB");
    }
    if (S.connected && S.lastMsg && Date.now() - S.lastMsg > 3 * S.heartbeat * 1000 && S.ws) {
      S.ws.close();  // silent server: treat as gone, reconnect
    }
    document.querySelectorAll("#wall [data-time]").forEach(function (node) {
      var topic = node.hasAttribute("data-service") ? "services" : node.hasAttribute("data-kpi") && node.closest("#wall-kpis") ? "kpis"
        : node.hasAttribute("data-camera") ? "cameras" : null;
      if (topic) {
        var key = node.getAttribute("data-" + (topic === "services" ? "service" : topic === "kpis" ? "kpi" : "camera"));
        var item = S.topics[topic][key];
        if (item) { markAge(node, item); }
      } else if (node.closest("#wall-summary")) {
        markAge(node, S.topics.summary.city);
      }
    });
    setAttr(el("wall-summary") || document.body, "data-stale", itemStale(S.topics.summary.city) ? "true" : "false");
    tickIncidents();
    fitAll(false);  // cheap unless a panel changed size (window resize, rotation view)
    if (S.dirty && window.dash_clientside && window.dash_clientside.set_props) {
      S.dirty = false;
      var minutes = Object.keys(S.eventsPerMinute).map(Number).sort();
      while (minutes.length > 60) { delete S.eventsPerMinute[minutes.shift()]; }
      window.dash_clientside.set_props("wall-data", { data: {
        cameras: S.topics.cameras, incidents: S.topics.incidents,
        events: minutes.map(function (m) { return [wibIso(m), S.eventsPerMinute[m]]; }),
        availability: S.availability.slice(), stale: itemStale(null), t: Date.now(),
        window: [wibIso(now() - 3600000), wibIso(now() + 60000)]
      } });
    }
  }

  function fitAll(force) { fitKpis(force); fitMatrix(force); fitCameras(force); }

  function setLang(lang) {
    S.lang = lang === "en" ? "en" : "id";
    var root = el("wall"); if (root) { root.setAttribute("lang", S.lang); }
    document.documentElement.setAttribute("lang", S.lang);
    document.querySelectorAll("[data-i18n]").forEach(function (n) { n.textContent = t(n.getAttribute("data-i18n")); });
    var btn = el("wall-lang-btn"); if (btn) { btn.textContent = t("lang"); }
    TOPICS.forEach(renderTopic);
    setConn(S.connected ? "live" : "down");
    S.dirty = true;
  }
  S.setLang = setLang;

  function rotation() {
    var every = parseInt(params.get("rotate") || "0", 10);
    if (!every || every < 5) { return; }
    var views = ["view-overview", "view-cameras", "view-map"], i = 0;
    window.setInterval(function () {
      var root = el("wall"); if (!root) { return; }
      root.classList.remove(views[i]); i = (i + 1) % views.length; root.classList.add(views[i]);
      setAttr(root, "data-view", views[i].slice(5));
      fitAll(false);
    }, every * 1000);
  }

  function start() {
    if (!el("wall")) { window.setTimeout(start, 50); return; }
    setLang(S.lang);
    connect();
    window.setInterval(tick, 1000);
    window.addEventListener("resize", function () { fitAll(false); });
    window.setInterval(refreshSnapshots, 5000);
    rotation();
    tick();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
