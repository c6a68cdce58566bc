// Keeps the volunteer page and the assets on the phone so the page opens without network.
// Pages are fetched from the network first (fresh data when online), the copy is the fallback.
"use strict";
var CACHE = "ishc-dashboard-v2";
var PAGE = "/app/volunteer";
var ASSETS = ["/app/static/app.css", "/app/static/app.js", "/app/static/volunteer.js", "/app/static/favicon.svg"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS.concat([PAGE])); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/app/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  } else if (url.pathname === PAGE) {
    event.respondWith(fetch(request).then(function (response) {
      // A redirect means the session ended (login page): keep the last good copy.
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      return response;
    }).catch(function () { return caches.match(PAGE); }));
  }
});
