// The console's only script (no framework, no build step). Pages work without it; it adds:
// - data-live="SECONDS" on an element with an id: re-read the page every SECONDS and swap in the
//   element of the same id (live status: an endpoint going from Creating to InService);
// - data-copy="ELEMENT-ID" on a button: copy that element's text (an invoke URL);
// - data-confirm="TEXT" on a form: ask before submitting (deletes).
"use strict";
(function () {
  function refresh(element, seconds) {
    window.setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (answer) { return answer.ok ? answer.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(element.id);
          if (fresh) { element.replaceWith(fresh); start(fresh); }
        })
        .catch(function () { refresh(element, seconds); });
    }, seconds * 1000);
  }
  function start(element) {
    var seconds = parseFloat(element.getAttribute("data-live"));
    if (element.id && seconds > 0) { refresh(element, seconds); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(start);
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy"));
        if (source && navigator.clipboard) { navigator.clipboard.writeText(source.textContent.trim()); }
        button.textContent = "Copied";
      });
    });
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
