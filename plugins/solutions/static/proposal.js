/* The second edit: drag sections to reorder them (SortableJS). The new order is saved at once
   with the proposal's version; a conflict (someone else changed it) reloads the page. The
   up/down buttons do the same without JavaScript. */
(function () {
  "use strict";
  var container = document.getElementById("wb-sections");
  if (!container || typeof Sortable === "undefined") { return; }

  function setVersion(version) {
    container.setAttribute("data-version", version);
    document.querySelectorAll("input[name=version]").forEach(function (field) { field.value = version; });
  }

  Sortable.create(container, {
    handle: ".wb-drag-handle",
    animation: 150,
    onEnd: function () {
      var ids = Array.prototype.map.call(container.querySelectorAll("[data-section-id]"), function (el) {
        return parseInt(el.getAttribute("data-section-id"), 10);
      });
      fetch(container.getAttribute("data-order-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRFToken": (window.workbench || {}).csrfToken || "" },
        body: JSON.stringify({ sections: ids, version: parseInt(container.getAttribute("data-version"), 10) })
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) { window.alert(result.data.message || ""); window.location.reload(); return; }
        setVersion(result.data.version);
        // The up/down buttons follow the new order.
        var cards = container.querySelectorAll("[data-section-id]");
        cards.forEach(function (card, index) {
          var up = card.querySelector("form[action$='/up'] button");
          var down = card.querySelector("form[action$='/down'] button");
          if (up) { up.disabled = index === 0; }
          if (down) { down.disabled = index === cards.length - 1; }
        });
      }).catch(function () { window.location.reload(); });
    }
  });
})();
