/* Export page of a file being prepared: the jobs progress bar polls itself (htmx); once it
   reports the job finished, reload so the download button (or the reason) appears. */
(function () {
  "use strict";
  var progress = document.getElementById("wb-export-progress");
  if (!progress || !progress.hasAttribute("data-reload-when-finished")) { return; }
  document.body.addEventListener("htmx:afterSettle", function () {
    var bar = progress.querySelector(".wb-job-progress");
    var state = bar ? bar.getAttribute("data-job-state") : "";
    if (state === "done" || state === "failed") {
      window.location.reload();
    }
  });
})();
