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
      var en = lang === "en";
      var HEALTH = { ok: "#22c55e" };
      var SEV = { 1: "#ef4444", 2: "#f97316", 3: "#eab308", 4: "#60a5fa" };
      var traces = [{
        type: "scatter", mode: "markers+text", name: "Kecamatan",
        x: geo.map(function (k) { return k.lon; }), y: geo.map(function (k) { return k.lat; }),
        text: geo.map(function (k) { return k.name; }), textposition: "top center",
        textfont: { color: "#cbd5e1", size: 15 },
        marker: { size: 46, color: "rgba(148,163,184,0.12)", line: { color: "#475569", width: 1 } },
        hoverinfo: "text"
      }];
      var stale = !data || data.stale;
      var cams = data && data.cameras ? Object.values(data.cameras).filter(function (c) {
        return typeof c.lat === "number" && typeof c.lon === "number";
      }) : [];
      traces.push({
        type: "scatter", mode: "markers", name: en ? "Cameras" : "Kamera",
        x: cams.map(function (c) { return c.lon; }), y: cams.map(function (c) { return c.lat; }),
        text: cams.map(function (c) { return (c.name || c.camera) + " — " + c.health; }),
        hoverinfo: "text",
        marker: { symbol: "square", size: 13, line: { color: "#0f172a", width: 1 },
          color: cams.map(function (c) { return stale || c.stale ? "#64748b" : HEALTH[c.health] || "#f59e0b"; }) }
      });
      var incs = data && data.incidents ? Object.values(data.incidents).filter(function (i) {
        return typeof i.lat === "number" && typeof i.lon === "number";
      }) : [];
      traces.push({
        type: "scatter", mode: "markers", name: en ? "Incidents" : "Insiden",
        x: incs.map(function (i) { return i.lon; }), y: incs.map(function (i) { return i.lat; }),
        text: incs.map(function (i) { return i.title; }), hoverinfo: "text",
        marker: { symbol: "diamond", size: 22, line: { color: "#fff", width: 1 },
          color: incs.map(function (i) { return stale ? "#64748b" : SEV[i.severity] || "#eab308"; }) }
      });
      return {
        data: traces,
        layout: {
          margin: { l: 4, r: 4, t: 4, b: 4 }, showlegend: true,
          legend: { orientation: "h", x: 0, y: 0, font: { color: "#e2e8f0", size: 14 } },
          paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#0f172a",
          xaxis: { visible: false, range: [103.54, 103.68] },
          yaxis: { visible: false, range: [-1.675, -1.555], scaleanchor: "x" },
          uirevision: "map"
        }
      };
    },

    trendFigures: function (data, lang) {
      var en = lang === "en";
      function fig(points, title, color, range) {  // the last hour, in WIB
        return {
          data: [{ type: "scatter", mode: "lines+markers", fill: "tozeroy", line: { color: color, width: 3 },
            x: points.map(function (p) { return p[0]; }), y: points.map(function (p) { return p[1]; }) }],
          layout: {
            title: { text: title, font: { color: "#e2e8f0", size: 18 }, x: 0.02 },
            margin: { l: 40, r: 8, t: 36, b: 28 }, paper_bgcolor: "rgba(0,0,0,0)",
            plot_bgcolor: "rgba(0,0,0,0)", font: { color: "#94a3b8", size: 13 },
            xaxis: { gridcolor: "#1e293b", type: "date", range: data && data.window ? data.window : undefined },
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
