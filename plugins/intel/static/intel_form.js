/* "Record intel": the customer autocomplete over the core's /search/suggest?type=customer
   (only customers in the reader's scope) and, once a customer is chosen, its competitive
   opportunities in the "linked opportunity" list (from /intel/opportunities). Choosing a
   customer fills the hidden customer_id; typing again clears it and the opportunity list.
   The server re-checks both. Keyboard: arrows, Enter, Escape. No inline script (CSP). */
(function () {
  "use strict";
  var picker = document.querySelector("[data-customer-picker]");
  if (!picker) { return; }
  var input = picker.querySelector("#customer_search");
  var hidden = picker.querySelector("#customer_id");
  var list = picker.querySelector("#customer_suggestions");
  var help = document.getElementById("customer_help");
  var helpText = help ? help.textContent : "";
  var opportunity = document.getElementById("opportunity_id");
  var suggestUrl = picker.getAttribute("data-suggest-url");
  var opportunitiesUrl = picker.getAttribute("data-opportunities-url");
  var timer = null, active = -1, asked = 0;
  list.style.zIndex = "1050";

  function setHelp(text) { if (help) { help.textContent = text; } }

  function close() {
    list.classList.add("d-none");
    list.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function fillOpportunities(customerId) {
    if (!opportunity) { return; }
    var keep = opportunity.value;
    var none = opportunity.options.length ? opportunity.options[0].textContent : "";
    opportunity.innerHTML = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = none;
    opportunity.appendChild(first);
    if (!customerId) { return; }
    fetch(opportunitiesUrl + "?customer_id=" + encodeURIComponent(customerId),
          { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        (data.items || []).forEach(function (item) {
          var option = document.createElement("option");
          option.value = String(item.id);
          option.textContent = item.label;
          if (String(item.id) === keep) { option.selected = true; }
          opportunity.appendChild(option);
        });
      })
      .catch(function () { /* the list simply stays empty */ });
  }

  function choose(item) {
    input.value = item.detail ? item.title + " · " + item.detail.split(" · ")[0] : item.title;
    hidden.value = item.id;
    input.classList.remove("is-invalid");
    setHelp(helpText);
    close();
    fillOpportunities(item.id);
  }

  function show(items) {
    list.innerHTML = "";
    if (!items.length) { close(); setHelp(help ? help.getAttribute("data-empty-text") : ""); return; }
    setHelp(helpText);
    items.forEach(function (item, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "list-group-item list-group-item-action";
      button.setAttribute("role", "option");
      button.id = "customer-option-" + index;
      var title = document.createElement("div");
      title.textContent = item.title;
      button.appendChild(title);
      if (item.detail) {
        var detail = document.createElement("div");
        detail.className = "small text-muted";
        detail.textContent = item.detail;
        button.appendChild(detail);
      }
      button.addEventListener("click", function () { choose(item); });
      list.appendChild(button);
    });
    list.classList.remove("d-none");
    input.setAttribute("aria-expanded", "true");
  }

  input.addEventListener("input", function () {
    if (hidden.value) { hidden.value = ""; fillOpportunities(""); }
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) { close(); setHelp(helpText); return; }
    timer = setTimeout(function () {
      var ticket = ++asked;
      fetch(suggestUrl + "?type=customer&q=" + encodeURIComponent(q),
            { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { if (ticket === asked && input.value.trim() === q) { show(data.items || []); } })
        .catch(close);
    }, 200);
  });

  input.addEventListener("keydown", function (event) {
    var options = list.querySelectorAll("[role=option]");
    if (event.key === "Escape") { close(); return; }
    if (!options.length) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach(function (o, i) { o.classList.toggle("active", i === active); });
      input.setAttribute("aria-activedescendant", options[active].id);
    } else if (event.key === "Enter") {
      event.preventDefault();
      options[active >= 0 ? active : 0].click();
    }
  });

  document.addEventListener("click", function (event) { if (!picker.contains(event.target)) { close(); } });
})();
