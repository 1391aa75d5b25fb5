/* Step 2 of a new proposal: the customer autocomplete over /search/suggest?type=customer,
   which answers only customers in the reader's scope. Choosing one fills the hidden
   customer_id; typing again clears it; a prospect's name clears the customer. */
(function () {
  "use strict";
  var picker = document.querySelector("[data-customer-picker]");
  if (!picker) { return; }
  var input = picker.querySelector("#customer_search");
  var hidden = picker.querySelector("#customer_id");
  var list = picker.querySelector("#customer_suggestions");
  var prospect = document.getElementById("prospect_name");
  var url = picker.getAttribute("data-suggest-url");
  var timer = null;
  var active = -1;

  function close() { list.classList.add("d-none"); list.innerHTML = ""; input.setAttribute("aria-expanded", "false"); active = -1; }

  function choose(item) {
    input.value = item.title;
    hidden.value = item.id;
    if (prospect) { prospect.value = ""; }
    close();
  }

  function show(items) {
    list.innerHTML = "";
    if (!items.length) { close(); return; }
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
    hidden.value = "";
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) { close(); return; }
    timer = setTimeout(function () {
      fetch(url + "?type=customer&q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { if (input.value.trim() === q) { show(data.items || []); } })
        .catch(close);
    }, 200);
  });

  input.addEventListener("keydown", function (event) {
    var options = list.querySelectorAll("[role=option]");
    if (!options.length) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach(function (o, i) { o.classList.toggle("active", i === active); });
      input.setAttribute("aria-activedescendant", options[active].id);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      options[active].click();
    } else if (event.key === "Escape") {
      close();
    }
  });

  document.addEventListener("click", function (event) { if (!picker.contains(event.target)) { close(); } });
  if (prospect) {
    prospect.addEventListener("input", function () { if (prospect.value.trim()) { hidden.value = ""; input.value = ""; } });
  }
})();
