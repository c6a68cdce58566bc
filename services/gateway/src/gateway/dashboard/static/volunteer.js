// Offline visits: queue on the phone (localStorage), send through the same-origin relay
// (/app/sync, session cookie + CSRF header) when the network is back, show each result.
(function () {
  "use strict";
  var QUEUE = "ishc.queue", RESULTS = "ishc.synced";
  var syncUrl = document.querySelector("meta[name=ishc-sync]").content;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var labels = document.getElementById("labels").dataset;
  var sending = false;
  // Results of the last sync are handed over to the reloaded page once, then dropped.
  var results = load(RESULTS, sessionStorage);
  sessionStorage.removeItem(RESULTS);

  function load(key, store) {
    try { return JSON.parse(store.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(key, store, value) { store.setItem(key, JSON.stringify(value)); }

  // UUIDv7: a millisecond timestamp then random bits, so ids sort by creation.
  function uuid7() {
    var b = new Uint8Array(16), ts = Date.now(), i, hex = "";
    crypto.getRandomValues(b);
    for (i = 5; i >= 0; i--) { b[i] = ts % 256; ts = Math.floor(ts / 256); }
    b[6] = (b[6] & 0x0f) | 0x70; b[8] = (b[8] & 0x3f) | 0x80;
    for (i = 0; i < 16; i++) { hex += (b[i] + 0x100).toString(16).slice(1); if (i === 3 || i === 5 || i === 7 || i === 9) { hex += "-"; } }
    return hex;
  }
  // The device's own clock with its offset: when the visit was recorded, not when it synced.
  function deviceTime() {
    var d = new Date(), off = -d.getTimezoneOffset(), sign = off >= 0 ? "+" : "-", p = function (n) { return (n < 10 ? "0" : "") + n; };
    off = Math.abs(off);
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + sign + p(Math.floor(off / 60)) + ":" + p(off % 60);
  }

  function item(text, cls) {
    var li = document.createElement("li");
    li.textContent = text;
    if (cls) { li.className = cls; }
    return li;
  }
  function render() {
    var queued = load(QUEUE, localStorage), list = document.getElementById("queued");
    list.textContent = "";
    queued.forEach(function (q) { list.appendChild(item(q.label + " — " + labels.queued)); });
    document.getElementById("queue").hidden = queued.length === 0;
    var out = document.getElementById("synced");
    out.textContent = "";
    results.forEach(function (r) { out.appendChild(item(r.label + " — " + labels[r.status] + (r.detail ? ": " + r.detail : ""), r.status)); });
    document.getElementById("results").hidden = results.length === 0;
    document.getElementById("offline").hidden = navigator.onLine;
  }

  function flush() {
    var queued = load(QUEUE, localStorage);
    if (sending || queued.length === 0 || !navigator.onLine) { return; }
    sending = true;
    fetch(syncUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ commands: queued.map(function (q) { return q.command; }) })
    }).then(function (response) {
      if (response.status === 401) { window.location.href = "/app/login?next=/app/volunteer&expired=1"; throw new Error("signed out"); }
      if (!response.ok) { throw new Error("sync " + response.status); }
      return response.json();
    }).then(function (body) {
      var keep = [], shown = results.slice(), token = null;
      body.results.forEach(function (r, i) {
        var q = queued[i];
        if (r.status === "not_attempted") { keep.push(q); return; }
        var detail = r.problem ? (r.problem.detail || r.problem.title) : "";
        shown.push({ label: q.label, status: r.status, detail: detail });
        if (r.result && r.result.consistency) { token = r.result.consistency; }
      });
      // Anything queued while this batch was in flight stays queued.
      keep = keep.concat(load(QUEUE, localStorage).slice(queued.length));
      save(QUEUE, localStorage, keep);
      save(RESULTS, sessionStorage, shown);
      sending = false;
      // Reload the board, waiting (server-side, bounded) until it shows the last visit.
      window.location.href = "/app/volunteer" + (token ? "?consistency=" + encodeURIComponent(token) : "");
    }).catch(function () { sending = false; render(); });
  }

  function onSubmit(event) {
    event.preventDefault();
    var form = event.target, data = new FormData(form), duration = data.get("duration_minutes");
    var payload = {
      visit_id: uuid7(), case_id: data.get("case_id"),
      volunteer_ids: (form.dataset.volunteers || "").split(",").filter(Boolean),
      visited_on: data.get("visited_on"), tasks_done: data.getAll("tasks_done")
    };
    if (duration) { payload.duration_minutes = Number(duration); }
    var queued = load(QUEUE, localStorage);
    queued.push({
      label: form.dataset.name + " · " + payload.visited_on,
      command: { idempotency_key: uuid7(), service: "care", command: "record-visit", payload: payload, device_time: deviceTime() }
    });
    save(QUEUE, localStorage, queued);
    form.closest("details").open = false;
    render();
    flush();
  }

  document.querySelectorAll("form.record-visit").forEach(function (f) { f.addEventListener("submit", onSubmit); });
  window.addEventListener("online", function () { render(); flush(); });
  window.addEventListener("offline", render);
  if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }); }
  render();
  flush();
})();
