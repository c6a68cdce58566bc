// Offline visits: queue on the phone (localStorage), send through the same-origin relay
// (/app/sync, session cookie + CSRF header) when the network is back, show each result.
(function () {
  "use strict";
  var QUEUE = "ishc.queue", RESULTS = "ishc.synced", LAST_SYNC = "ishc.last_sync";
  var syncUrl = document.querySelector("meta[name=ishc-sync]").content;
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  // Whose queue this is: a phone shared by two volunteers sends each one's visits under
  // their own sign-in only (a queue kept at sign-out waits for its owner).
  var me = document.querySelector("meta[name=ishc-user]").content;
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
  function mine(queued) { return queued.filter(function (q) { return !q.user || q.user === me; }); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // dd/mm/yyyy hh:mm on the phone's clock: when this phone last heard back from the server.
  function shownTime(iso) {
    var d = new Date(iso);
    return pad(d.getDate()) + "/" + pad(d.getMonth() + 1) + "/" + d.getFullYear() + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }
  function say(text) { document.getElementById("sync-state").textContent = text; }
  function render() {
    var all = load(QUEUE, localStorage), queued = mine(all), list = document.getElementById("queued");
    list.textContent = "";
    queued.forEach(function (q) { list.appendChild(item(q.label + " — " + labels.queued)); });
    document.getElementById("queue-count").textContent = String(queued.length);
    if (all.length > queued.length) { list.appendChild(item((all.length - queued.length) + " " + labels.kept)); }
    document.getElementById("send-now").disabled = queued.length === 0;
    var last = localStorage.getItem(LAST_SYNC);
    if (last) { document.getElementById("last-sync").textContent = shownTime(last); }
    var out = document.getElementById("synced");
    out.textContent = "";
    results.forEach(function (r) { out.appendChild(item(r.label + " — " + labels[r.status] + (r.detail ? ": " + r.detail : ""), r.status)); });
    document.getElementById("results").hidden = results.length === 0;
    document.getElementById("offline").hidden = navigator.onLine;
  }

  function flush() {
    var queued = mine(load(QUEUE, localStorage));
    if (sending || queued.length === 0) { return; }
    if (!navigator.onLine) { say(labels.offline); return; }
    sending = true;
    say(labels.sending);
    fetch(syncUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ commands: queued.map(function (q) { return q.command; }) })
    }).then(function (response) {
      if (response.status === 401) { window.location.href = "/app/login?next=/app/volunteer&expired=1"; throw new Error("signed out"); }
      if (!response.ok) { throw new Error("sync " + response.status); }
      localStorage.setItem(LAST_SYNC, new Date().toISOString());
      return response.json();
    }).then(function (body) {
      var keep = [], shown = results.slice(), token = null;
      body.results.forEach(function (r, i) {
        var q = queued[i];
        if (r.status === "not_attempted") { keep.push(q); return; }
        var detail = r.problem ? (r.problem.message || r.problem.detail || r.problem.title) : "";
        shown.push({ label: q.label, status: r.status, detail: detail });
        if (r.result && r.result.consistency) { token = r.result.consistency; }
      });
      // Everything not in this batch stays queued: another user's visits, and anything
      // queued while the batch was in flight.
      var sent = queued.map(function (q) { return q.command.idempotency_key; });
      keep = keep.concat(load(QUEUE, localStorage).filter(function (q) { return sent.indexOf(q.command.idempotency_key) < 0; }));
      save(QUEUE, localStorage, keep);
      save(RESULTS, sessionStorage, shown);
      sending = false;
      // Reload the board, waiting (server-side, bounded) until it shows the last visit.
      window.location.href = "/app/volunteer" + (token ? "?consistency=" + encodeURIComponent(token) : "");
    }).catch(function () { sending = false; render(); say(labels.failed); });
  }

  function onSubmit(event) {
    event.preventDefault();
    var form = event.target, data = new FormData(form), duration = Number(data.get("duration_minutes"));
    var field = form.querySelector("[name=duration_minutes]");
    // A visit lasts at least a minute: an empty or zero duration is asked for, never sent as 0.
    if (!(duration >= 1)) { field.setCustomValidity(labels.duration); field.reportValidity(); return; }
    field.setCustomValidity("");
    var payload = {
      visit_id: uuid7(), case_id: data.get("case_id"),
      volunteer_ids: (form.dataset.volunteers || "").split(",").filter(Boolean),
      visited_on: data.get("visited_on"), tasks_done: data.getAll("tasks_done"),
      duration_minutes: Math.round(duration)
    };
    var systolic = data.get("systolic"), diastolic = data.get("diastolic");
    if (systolic || diastolic) { payload.blood_pressure = { systolic: Number(systolic), diastolic: Number(diastolic) }; }
    var observations = String(data.get("observations") || "").trim();
    if (observations) { payload.observations = observations; }
    var follow = data.getAll("follow_up");
    if (follow.length) { payload.follow_up = follow; }
    var queued = load(QUEUE, localStorage);
    var day = payload.visited_on.split("-").reverse().join("/");
    queued.push({
      user: me, label: form.dataset.name + " · " + day,
      command: { idempotency_key: uuid7(), service: "care", command: "record-visit", payload: payload, device_time: deviceTime() }
    });
    save(QUEUE, localStorage, queued);
    form.closest("details").open = false;
    // The confirmation sits right where the form was, in view on a phone.
    var card = form.closest(".visit"), saved = card.querySelector(".visit-saved");
    saved.textContent = "✓ " + labels.queued + " — " + day;
    saved.hidden = false;
    saved.focus();
    render();
    flush();
  }

  document.querySelectorAll("form.record-visit").forEach(function (f) { f.addEventListener("submit", onSubmit); });
  document.getElementById("send-now").addEventListener("click", flush);
  window.addEventListener("online", function () { render(); flush(); });
  window.addEventListener("offline", render);
  if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }); }
  render();
  flush();
})();
