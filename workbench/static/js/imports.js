/* Import page: while the file uploads and rows are checked, show a progress bar and keep
   the button from being pressed twice (a second press would start a second import). */
(function () {
  "use strict";
  var form = document.getElementById("wb-import-form");
  if (!form) { return; }
  var button = document.getElementById("wb-import-submit");
  var progress = document.getElementById("wb-import-progress");
  function busy(on) {
    if (button) { button.disabled = on; }
    if (progress) { progress.classList.toggle("d-none", !on); }
  }
  form.addEventListener("submit", function () { busy(true); });
  // Coming back with the browser's Back button must not leave the form stuck as busy.
  window.addEventListener("pageshow", function () { busy(false); });
})();
