/* Role default-layout form (admin): the up/down buttons move rows in place instead of
   submitting the form. Without this script they submit and the server reorders. */
(function () {
  "use strict";
  var rows = document.getElementById("wb-layout-rows");
  if (!rows) { return; }
  rows.addEventListener("click", function (evt) {
    var button = evt.target.closest(".wb-layout-move");
    if (!button) { return; }
    evt.preventDefault();
    var row = button.closest("tr");
    if (button.dataset.direction === "up" && row.previousElementSibling) {
      rows.insertBefore(row, row.previousElementSibling);
    } else if (button.dataset.direction === "down" && row.nextElementSibling) {
      rows.insertBefore(row.nextElementSibling, row);
    }
    button.focus();
  });
})();
