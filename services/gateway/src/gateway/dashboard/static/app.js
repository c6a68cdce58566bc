// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Signing out drops the offline copy of pages (they hold names). Visits still waiting to be
  // sent are never dropped silently: the user is warned, can send them now, or sign out and
  // keep them on this phone (sent at the next sign-in of the same user).
  var logout = document.getElementById("logout"), warning = document.getElementById("logout-warning");
  function waiting() {
    try { return JSON.parse(localStorage.getItem("ishc.queue") || "[]").length; } catch (e) { return 0; }
  }
  if (logout) {
    logout.addEventListener("submit", function (event) {
      var count = waiting();
      if (count > 0 && logout.elements.keep_queue.value !== "1") {
        event.preventDefault();
        warning.querySelector("[data-count]").textContent = String(count);
        warning.hidden = false;
        warning.querySelector("button").focus();
        return;
      }
      if (window.caches) { caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); }); }
    });
    warning.querySelector("[data-keep]").addEventListener("click", function () {
      logout.elements.keep_queue.value = "1";
      logout.requestSubmit();
    });
    warning.querySelector("[data-stay]").addEventListener("click", function () { warning.hidden = true; });
  }
  var saved = document.getElementById("saved");
  if (saved && saved.tabIndex === -1) { saved.focus(); }
  // After a refused form, focus its first invalid field so keyboard users land on it.
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) { invalid.focus(); }
})();
