/* Clientside callbacks of the wall: pure figure builders fed by the `wall-data` store that
 * wall.js updates once a second. The map is a plain scatter over lon/lat with the 11
 * kecamatan labelled at their centroids: no internet map tiles needed. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  jcoc: {
    toggleLang: function (clicks, current) {
      var wall = window.jcocWall;
      var lang = clicks ? (current === "en" ? "id" : "en") : (wall ? wall.lang : current || "id");
      if (wall && wall.setLang) { wall.setLang(lang); }
      return lang;
    },

    mapFigure: function (data, lang, geo) {
      // Equal-aspect lon/lat plot that fills the panel; kecamatan labels placed greedily so
      // they do not overlap each other or the markers. No map tiles: works offline.
      var en = lang === "en";
      var SEV = { 1: "#ef4444", 2: "#f97316", 3: "#eab308", 4: "#60a5fa" };
      var stale = !data || data.stale;
      var cams = data && data.cameras ? Object.values(data.cameras).filter(function (c) {
        return typeof c.lat === "number" && typeof c.lon === "number";
      }) : [];
      var incs = data && data.incidents ? Object.values(data.incidents).filter(function (i) {
        return typeof i.lat === "number" && typeof i.lon === "number";
      }) : [];
      var node = document.getElementById("wall-map");
      var W = node && node.clientWidth > 50 ? node.clientWidth : 600;
      var H = node && node.clientHeight > 50 ? node.clientHeight : 500;
      var fs = Math.max(11, Math.min(20, Math.round(W / 30)));
      var legendH = fs * 2.2, m = 4;
      var pw = W - 2 * m, ph = H - 2 * m - legendH;
      // data bounds with room for labels, then stretch the short side to the panel's aspect
      var pts = geo.map(function (k) { return [k.lon, k.lat]; })
        .concat(cams.map(function (c) { return [c.lon, c.lat]; }), incs.map(function (i) { return [i.lon, i.lat]; }));
      var lons = pts.map(function (p) { return p[0]; }), lats = pts.map(function (p) { return p[1]; });
      var x0 = Math.min.apply(null, lons), x1 = Math.max.apply(null, lons);
      var y0 = Math.min.apply(null, lats), y1 = Math.max.apply(null, lats);
      var padX = (x1 - x0) * 0.16 + 0.004, padY = (y1 - y0) * 0.1 + 0.004;
      x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
      var k = Math.min(pw / (x1 - x0), ph / (y1 - y0));  // px per degree, same on both axes
      var cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
      x0 = cx - pw / k / 2; x1 = cx + pw / k / 2; y0 = cy - ph / k / 2; y1 = cy + ph / k / 2;
      function px(lon, lat) { return [(lon - x0) * k, (y1 - lat) * k]; }
      // obstacles: every marker; then labels as they are placed
      var boxes = pts.map(function (p) { var q = px(p[0], p[1]); return [q[0] - 7, q[1] - 7, q[0] + 7, q[1] + 7]; });
      function hits(b) {
        var n = 0;
        boxes.forEach(function (o) {
          if (b[0] < o[2] && b[2] > o[0] && b[1] < o[3] && b[3] > o[1]) { n += 1; }
        });
        if (b[0] < 0 || b[1] < 0 || b[2] > pw || b[3] > ph) { n += 5; }
        return n;
      }
      var annotations = geo.map(function (kc) {
        var q = px(kc.lon, kc.lat), w = kc.name.length * fs * 0.58 + 6, h = fs * 1.3, d = 9;
        var cands = [[0, -d - h / 2], [0, d + h / 2], [d + w / 2, 0], [-d - w / 2, 0],
          [d + w / 2, -d - h / 2], [-d - w / 2, -d - h / 2], [d + w / 2, d + h / 2], [-d - w / 2, d + h / 2],
          [0, -2 * d - h], [0, 2 * d + h]];
        var best = null;
        cands.forEach(function (c) {
          var b = [q[0] + c[0] - w / 2, q[1] + c[1] - h / 2, q[0] + c[0] + w / 2, q[1] + c[1] + h / 2];
          var score = hits(b);
          if (!best || score < best.score) { best = { score: score, c: c, b: b }; }
        });
        boxes.push(best.b);
        return { x: kc.lon, y: kc.lat, xref: "x", yref: "y", text: kc.name, showarrow: false,
          xshift: best.c[0], yshift: -best.c[1], font: { color: "#e2e8f0", size: fs },
          bgcolor: "rgba(15,23,42,0.75)", borderpad: 1 };
      });
      var faulty = function (c) { return c.health !== "ok"; };
      function camTrace(list, name, color, symbol) {
        return { type: "scatter", mode: "markers", name: name, hoverinfo: "text",
          x: list.length ? list.map(function (c) { return c.lon; }) : [null],
          y: list.length ? list.map(function (c) { return c.lat; }) : [null],
          text: list.map(function (c) { return (c.name || c.camera) + " — " + c.health; }),
          marker: { symbol: symbol, size: Math.round(fs * 0.8), line: { color: "#0f172a", width: 1.5 },
            color: list.length ? list.map(function (c) { return stale || c.stale ? "#64748b" : color; }) : color } };
      }
      var traces = [
        { type: "scatter", mode: "markers", name: "Kecamatan", hoverinfo: "text",
          x: geo.map(function (kc) { return kc.lon; }), y: geo.map(function (kc) { return kc.lat; }),
          text: geo.map(function (kc) { return kc.name; }),
          marker: { symbol: "circle-open", size: Math.round(fs * 0.7), color: "#94a3b8", line: { width: 2 } } },
        camTrace(cams.filter(function (c) { return !faulty(c); }), en ? "Camera ok" : "Kamera ok", "#22c55e", "square"),
        camTrace(cams.filter(faulty), en ? "Camera fault" : "Kamera bermasalah", "#f59e0b", "x"),
        { type: "scatter", mode: "markers", name: en ? "Incident" : "Insiden", hoverinfo: "text",
          // an empty trace would drop out of the legend: keep it with one invisible point
          x: incs.length ? incs.map(function (i) { return i.lon; }) : [null],
          y: incs.length ? incs.map(function (i) { return i.lat; }) : [null],
          text: incs.map(function (i) { return i.title; }),
          marker: { symbol: "diamond", size: Math.round(fs * 1.3), line: { color: "#fff", width: 1.5 },
            color: incs.length ? incs.map(function (i) { return stale ? "#64748b" : SEV[i.severity] || "#eab308"; }) : "#ef4444" } }
      ];
      return {
        data: traces,
        layout: {
          margin: { l: m, r: m, t: m, b: m + legendH }, showlegend: true, annotations: annotations,
          legend: { orientation: "h", x: 0, y: 0, yanchor: "top", font: { color: "#e2e8f0", size: Math.round(fs * 0.85) } },
          paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#0f172a",
          xaxis: { visible: false, range: [x0, x1], fixedrange: true },
          yaxis: { visible: false, range: [y0, y1], scaleanchor: "x", fixedrange: true },
          uirevision: "map"
        }
      };
    },

    trendFigures: function (data, lang) {
      var en = lang === "en";
      var node = document.getElementById("wall-trend-events");  // fonts follow the panel size
      var fs = Math.max(10, Math.min(16, Math.round((node && node.clientWidth ? node.clientWidth : 400) / 28)));
      function fig(points, title, color, range) {  // the last hour, in WIB
        return {
          data: [{ type: "scatter", mode: "lines+markers", fill: "tozeroy", line: { color: color, width: 3 },
            x: points.map(function (p) { return p[0]; }), y: points.map(function (p) { return p[1]; }) }],
          layout: {
            title: { text: title, font: { color: "#e2e8f0", size: Math.round(fs * 1.25) }, x: 0.02 },
            margin: { l: fs * 3, r: 8, t: Math.round(fs * 2.4), b: Math.round(fs * 1.8) }, paper_bgcolor: "rgba(0,0,0,0)",
            plot_bgcolor: "rgba(0,0,0,0)", font: { color: "#94a3b8", size: fs },
            xaxis: { gridcolor: "#1e293b", type: "date", tickformat: "%H:%M", range: data && data.window ? data.window : undefined },
            yaxis: { gridcolor: "#1e293b", range: range }, uirevision: title
          }
        };
      }
      var events = data && data.events ? data.events : [];
      var avail = data && data.availability ? data.availability : [];
      return [
        fig(events, en ? "Events per minute" : "Kejadian per menit", "#38bdf8"),
        fig(avail, en ? "Availability 24h (%)" : "Ketersediaan 24 jam (%)", "#22c55e", [90, 100])
      ];
    }
  }
});
