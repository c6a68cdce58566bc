// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Signing out also drops the offline copy of pages (they hold names) and queued data.
  var logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("submit", function () {
      try { localStorage.removeItem("ishc.queue"); } catch (e) { /* storage may be off */ }
      if (window.caches) { caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); }); }
    });
  }
  // After a refused form, focus its first invalid field so keyboard users land on it.
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) { invalid.focus(); }
})();
