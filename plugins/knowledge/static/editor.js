/* The article editor: Quill 2 (served locally), its HTML copied into the form on submit.
   The server sanitizes whatever arrives; images are uploaded to the knowledge base first. */
(function () {
  "use strict";
  var holder = document.getElementById("wb-editor");
  var field = document.getElementById("body_html");
  if (!holder || !field || typeof Quill === "undefined") { if (field) { field.classList.remove("d-none"); field.classList.add("form-control"); } return; }
  var uploadUrl = holder.getAttribute("data-upload-url");
  var toolbar = [[{ header: [2, 3, 4, false] }], ["bold", "italic", "underline", "strike"],
    [{ list: "ordered" }, { list: "bullet" }], ["blockquote", "code-block", "link"].concat(uploadUrl ? ["image"] : []),
    [{ align: [] }], ["clean"]];
  var quill = new Quill(holder, { theme: "snow", modules: { toolbar: toolbar } });
  if (field.value) { quill.clipboard.dangerouslyPasteHTML(field.value); }
  if (uploadUrl) {
    quill.getModule("toolbar").addHandler("image", function () {
      var input = document.createElement("input");
      input.type = "file";
      input.accept = "image/png,image/jpeg,image/gif,image/webp";
      input.addEventListener("change", function () {
        if (!input.files || !input.files[0]) { return; }
        var data = new FormData();
        data.append("file", input.files[0]);
        fetch(uploadUrl, { method: "POST", body: data, credentials: "same-origin",
          headers: { "X-CSRFToken": (window.workbench && window.workbench.csrfToken) || "" } })
          .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
          .then(function (result) {
            if (!result.ok) { window.alert(result.body.message || "Upload failed"); return; }
            var range = quill.getSelection(true);
            quill.insertEmbed(range ? range.index : quill.getLength(), "image", result.body.url, "user");
          })
          .catch(function () { window.alert("Upload failed"); });
      });
      input.click();
    });
  }
  document.getElementById("wb-article-form").addEventListener("submit", function () {
    field.value = quill.getLength() > 1 ? quill.getSemanticHTML() : "";
  });
}());
