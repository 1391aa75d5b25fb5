/* Bulk SMS page: live length counter, the split into SMS segments, "tick all on this page".
   The counting rule is the server's (workbench/notify/sms.py): one SMS holds data-segment-length
   characters; a longer text is sent in parts of 3 characters fewer each. */
(function () {
  "use strict";
  var text = document.getElementById("text");
  var counter = document.getElementById("wb-sms-counter");
  var preview = document.getElementById("wb-sms-preview");

  function parts(value, segmentLength) {
    var chars = Array.from(value);
    if (chars.length <= segmentLength) { return chars.length ? [value] : []; }
    var size = segmentLength - 3, out = [];
    for (var i = 0; i < chars.length; i += size) { out.push(chars.slice(i, i + size).join("")); }
    return out;
  }

  function update() {
    var segmentLength = parseInt(text.dataset.segmentLength, 10);
    var maxCharacters = parseInt(text.dataset.maxCharacters, 10);
    var value = text.value.trim();
    var length = Array.from(value).length;
    var split = parts(value, segmentLength);
    var tooLong = length > maxCharacters;
    counter.textContent = counter.dataset.template
      .replace("{chars}", String(length)).replace("{segments}", String(split.length))
      + (tooLong ? " " + counter.dataset.tooLong : "");
    counter.classList.toggle("text-danger", tooLong);
    text.classList.toggle("is-invalid", tooLong);
    preview.replaceChildren.apply(preview, split.map(function (part) {
      var item = document.createElement("li");
      item.textContent = part;
      return item;
    }));
  }

  if (text && counter && preview) {
    text.addEventListener("input", update);
    update();
  }

  var selectPage = document.getElementById("wb-select-page");
  if (selectPage) {
    selectPage.addEventListener("change", function () {
      document.querySelectorAll("input.wb-contact").forEach(function (box) { box.checked = selectPage.checked; });
    });
  }
})();
