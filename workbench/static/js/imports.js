/* Import pages.
   - Upload form: while the file uploads and its first rows are read, show that something is
     happening and keep the button from being pressed twice.
   - Result page of a run still importing: the jobs progress bar polls itself (htmx); once it
     reports the job finished, reload so the counts and the rows not imported appear. */
(function () {
  "use strict";
  var form = document.getElementById("wb-import-form");
  if (form) {
    var button = document.getElementById("wb-import-submit");
    var uploading = document.getElementById("wb-import-uploading");
    var busy = function (on) {
      if (button) { button.disabled = on; }
      if (uploading) { uploading.classList.toggle("d-none", !on); }
    };
    form.addEventListener("submit", function () { busy(true); });
    // Coming back with the browser's Back button must not leave the form stuck as busy.
    window.addEventListener("pageshow", function () { busy(false); });
  }

  var confirmForm = document.getElementById("wb-import-confirm");
  if (confirmForm) {
    confirmForm.addEventListener("submit", function (evt) {
      var start = document.getElementById("wb-import-start");
      if (evt.submitter === start) {
        window.setTimeout(function () { start.disabled = true; }, 0);
      }
    });
  }

  var progress = document.getElementById("wb-import-progress");
  if (progress && progress.hasAttribute("data-reload-when-finished")) {
    document.body.addEventListener("htmx:afterSettle", function () {
      var bar = progress.querySelector(".wb-job-progress");
      var state = bar ? bar.getAttribute("data-job-state") : "";
      if (state === "done" || state === "failed") {
        window.location.reload();
      }
    });
  }
})();
