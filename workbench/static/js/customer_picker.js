/* The customer autocomplete of forms that pick a customer (opportunities, resource
   requests, intelligence ...), over the core's /search/suggest?type=customer, which answers
   only customers in the reader's scope. Markup: an element with data-customer-picker and
   data-suggest-url holding #customer_search, the hidden #customer_id and the list
   #customer_suggestions; optional #customer_help (its data-empty-text is shown when nothing
   matches) and #new_customer ("start a new customer" checkbox).
   Choosing one fills the hidden customer_id; typing again clears it (the server refuses a
   missing or out-of-scope id beside the field). Ticking "start a new customer" clears the
   chosen customer; choosing a customer unticks it. Every change of the chosen customer
   dispatches "customer-change" on the picker element (detail.id: the id, or "" when
   cleared), for a form that loads things of the customer. Keyboard: arrows, Enter, Escape.
   No inline script (CSP). */
(function () {
  "use strict";
  var picker = document.querySelector("[data-customer-picker]");
  if (!picker) { return; }
  var input = picker.querySelector("#customer_search");
  var hidden = picker.querySelector("#customer_id");
  var list = picker.querySelector("#customer_suggestions");
  var help = document.getElementById("customer_help");
  var helpText = help ? help.textContent : "";
  var newCustomer = document.getElementById("new_customer");
  var url = picker.getAttribute("data-suggest-url");
  var timer = null;
  var active = -1;
  var asked = 0;
  list.style.zIndex = "1050";  /* above the cards below; set here, not inline (CSP) */

  function setHelp(text) { if (help) { help.textContent = text; } }

  function close() {
    list.classList.add("d-none");
    list.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function choose(item) {
    input.value = item.detail ? item.title + " · " + item.detail.split(" · ")[0] : item.title;
    hidden.value = item.id;
    input.classList.remove("is-invalid");
    if (newCustomer) { newCustomer.checked = false; }
    setHelp(helpText);
    close();
    changed(String(item.id));
  }

  function changed(id) {
    picker.dispatchEvent(new CustomEvent("customer-change", { detail: { id: id } }));
  }

  function show(items) {
    list.innerHTML = "";
    if (!items.length) {
      close();
      setHelp(help ? help.getAttribute("data-empty-text") : "");
      return;
    }
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
    if (hidden.value) { hidden.value = ""; changed(""); }
    clearTimeout(timer);
    var q = input.value.trim();
    if (!q) { close(); setHelp(helpText); return; }
    timer = setTimeout(function () {
      var ticket = ++asked;
      fetch(url + "?type=customer&q=" + encodeURIComponent(q),
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
      event.preventDefault();  /* never submit the form half-chosen */
      options[active >= 0 ? active : 0].click();
    }
  });

  document.addEventListener("click", function (event) { if (!picker.contains(event.target)) { close(); } });
  if (newCustomer) {
    newCustomer.addEventListener("change", function () {
      if (newCustomer.checked) { hidden.value = ""; input.value = ""; close(); changed(""); }
    });
  }
})();
