/* Homepage layout editing: drag to reorder (SortableJS), resize, remove, add.
   Every change is saved at once to /homepage/layout with the layout version, so two tabs
   cannot silently overwrite each other (the server answers 409 and we reload). */
(function () {
  "use strict";
  var grid = document.getElementById("wb-grid");
  if (!grid) { return; }
  var page = document.getElementById("wb-homepage");
  var status = document.getElementById("wb-layout-status");
  var version = parseInt(grid.dataset.version || "0", 10);
  var widthClasses = ["col-lg-3", "col-lg-4", "col-lg-6", "col-lg-8", "col-lg-12"];

  function say(text, kind) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "small ms-2 text-" + (kind || "success");
  }

  function currentLayout() {
    var items = [];
    grid.querySelectorAll(".wb-widget").forEach(function (el) {
      if (el.dataset.locked === "1") { return; }
      items.push({ key: el.dataset.key, width: parseInt(el.dataset.width, 10) });
    });
    return items;
  }

  // Errors that are not ours (an expired CSRF token, a sign-in page after the session ended,
  // a proxy's error page) come back as HTML: they must read as "not saved", never as success.
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": window.workbench.csrfToken },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      var data = isJson ? response.json() : Promise.resolve({});
      return data.catch(function () { return {}; }).then(function (parsed) {
        return { ok: response.ok && isJson && !response.redirected, status: response.status, data: parsed || {} };
      });
    });
  }

  function save(afterwards) {
    say(page.dataset.savingText, "secondary");
    return post(grid.dataset.saveUrl, { widgets: currentLayout(), version: version }).then(function (result) {
      if (result.ok && typeof result.data.version === "number") {
        version = result.data.version;
        grid.dataset.version = String(version);
        say(result.data.message, "success");
        if (afterwards) { afterwards(); }
      } else if (result.status === 409) {
        say(result.data.message, "danger");
        window.setTimeout(function () { window.location.reload(); }, 1500);
      } else {
        say(result.data.message || page.dataset.saveError, "danger");
      }
    }).catch(function () { say(page.dataset.networkError, "danger"); });
  }

  var sortable = window.Sortable.create(grid, {
    handle: ".wb-drag-handle",
    draggable: ".wb-widget",
    filter: "[data-locked='1']",
    preventOnFilter: false,
    animation: 150,
    disabled: true,
    onMove: function (evt) { return evt.related.dataset.locked !== "1"; },
    onEnd: function () { save(); }
  });

  document.getElementById("wb-edit-toggle").addEventListener("click", function (evt) {
    var button = evt.currentTarget;
    var editing = !page.classList.contains("wb-editing");
    page.classList.toggle("wb-editing", editing);
    sortable.option("disabled", !editing);
    button.setAttribute("aria-pressed", editing ? "true" : "false");
    button.classList.toggle("active", editing);
    var label = button.querySelector(".wb-edit-label");
    if (label) { label.textContent = editing ? button.dataset.doneText : button.dataset.arrangeText; }
    document.getElementById("wb-edit-bar").classList.toggle("d-none", !editing);
  });

  grid.addEventListener("change", function (evt) {
    if (!evt.target.matches(".wb-width-select")) { return; }
    var card = evt.target.closest(".wb-widget");
    var width = parseInt(evt.target.value, 10);
    widthClasses.forEach(function (cls) { card.classList.remove(cls); });
    card.classList.add("col-lg-" + width);
    card.dataset.width = String(width);
    save();
  });

  grid.addEventListener("click", function (evt) {
    var button = evt.target.closest(".wb-remove-widget");
    if (!button) { return; }
    button.closest(".wb-widget").remove();
    save();
  });

  // Move buttons: keyboard- and touch-friendly alternative to dragging.
  grid.addEventListener("click", function (evt) {
    var button = evt.target.closest(".wb-move-widget");
    if (!button) { return; }
    var card = button.closest(".wb-widget");
    if (button.dataset.direction === "up") {
      var previous = card.previousElementSibling;
      if (previous && previous.dataset.locked !== "1") {
        grid.insertBefore(card, previous);
        // Moving the card takes the focus off the button; keyboard users keep their place.
        button.focus();
        save();
      }
    } else {
      var next = card.nextElementSibling;
      if (next) { grid.insertBefore(next, card); save(); }
    }
  });

  var addForm = document.getElementById("wb-add-widget");
  if (addForm) {
    addForm.addEventListener("submit", function (evt) {
      evt.preventDefault();
      var key = addForm.querySelector("select").value;
      if (!key) { return; }
      var items = currentLayout();
      items.push({ key: key, width: parseInt(addForm.querySelector("select").selectedOptions[0].dataset.width, 10) });
      post(grid.dataset.saveUrl, { widgets: items, version: version }).then(function (result) {
        if (result.ok) { window.location.reload(); } else { say(result.data.message || page.dataset.saveError, "danger"); }
      }).catch(function () { say(page.dataset.networkError, "danger"); });
    });
  }

  var resetButton = document.getElementById("wb-reset-layout");
  if (resetButton) {
    resetButton.addEventListener("click", function () {
      if (!window.confirm(resetButton.dataset.confirmText)) { return; }
      post(resetButton.dataset.url, {}).then(function (result) {
        if (result.ok) { window.location.reload(); } else { say(result.data.message || page.dataset.saveError, "danger"); }
      }).catch(function () { say(page.dataset.networkError, "danger"); });
    });
  }
})();
