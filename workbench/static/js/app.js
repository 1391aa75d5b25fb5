/* Workbench page behaviour. No inline scripts anywhere (the CSP forbids them). */
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.content : "";

  // htmx requests carry the CSRF token like forms do.
  document.body.addEventListener("htmx:configRequest", function (evt) {
    evt.detail.headers["X-CSRFToken"] = csrfToken;
  });
  // A failed fragment shows a small error instead of silently staying on "loading": both when
  // the server answers with an error and when it cannot be reached at all.
  function showFragmentError(evt) {
    var target = evt.detail.target;
    if (!target) { return; }
    var message = document.createElement("div");
    message.className = "text-danger small wb-fragment-error";
    message.setAttribute("role", "alert");
    message.textContent = document.body.dataset.fragmentError || "Could not load this part.";
    target.replaceChildren(message);
  }
  document.body.addEventListener("htmx:responseError", showFragmentError);
  document.body.addEventListener("htmx:sendError", showFragmentError);

  // Elements with data-confirm ask before submitting.
  document.addEventListener("submit", function (evt) {
    var message = evt.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { evt.preventDefault(); }
  });

  // Auto-submit filter selects.
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  window.workbench = { csrfToken: csrfToken };
})();
