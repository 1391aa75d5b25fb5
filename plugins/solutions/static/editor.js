/* A small rich-text editor over a textarea: bold, italic, sub-heading, lists, and the HTML
   source. The textarea stays the submitted value; the server sanitizes what it receives, so
   this editor is a convenience, never a safety measure. */
(function () {
  "use strict";
  document.querySelectorAll("textarea[data-rich-editor]").forEach(function (textarea) {
    var labels = {};
    try { labels = JSON.parse(textarea.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
    var toolbar = document.createElement("div");
    toolbar.className = "btn-toolbar gap-1 mb-1";
    toolbar.setAttribute("role", "toolbar");
    var area = document.createElement("div");
    area.className = "form-control wb-richtext";
    area.contentEditable = "true";
    area.style.minHeight = "14rem";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    area.setAttribute("aria-label", (textarea.labels && textarea.labels[0]) ? textarea.labels[0].textContent : "");
    area.innerHTML = textarea.value;
    var source = false;

    function button(key, icon, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-sm btn-outline-secondary";
      b.title = labels[key] || key;
      b.setAttribute("aria-label", labels[key] || key);
      b.innerHTML = '<i class="bi ' + icon + '"></i>';
      b.addEventListener("click", function () { action(); if (!source) { area.focus(); } });
      toolbar.appendChild(b);
    }
    button("bold", "bi-type-bold", function () { document.execCommand("bold"); });
    button("italic", "bi-type-italic", function () { document.execCommand("italic"); });
    button("h3", "bi-type-h3", function () { document.execCommand("formatBlock", false, "h3"); });
    button("ul", "bi-list-ul", function () { document.execCommand("insertUnorderedList"); });
    button("ol", "bi-list-ol", function () { document.execCommand("insertOrderedList"); });
    button("html", "bi-code-slash", function () {
      source = !source;
      if (source) { textarea.value = area.innerHTML; }
      else { area.innerHTML = textarea.value; }
      textarea.classList.toggle("d-none", !source);
      area.classList.toggle("d-none", source);
    });

    textarea.classList.add("d-none");
    textarea.parentNode.insertBefore(toolbar, textarea);
    textarea.parentNode.insertBefore(area, textarea);
    textarea.form.addEventListener("submit", function () { if (!source) { textarea.value = area.innerHTML; } });
  });
})();
