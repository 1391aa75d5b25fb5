/* "Record intel": once a customer is chosen in the core customer picker
   (workbench/static/js/customer_picker.js, loaded before this), its competitive opportunities
   fill the "linked opportunity" list (from /intel/opportunities); clearing the customer
   empties the list. The server re-checks both. No inline script (CSP). */
(function () {
  "use strict";
  var picker = document.querySelector("[data-customer-picker]");
  var opportunity = document.getElementById("opportunity_id");
  if (!picker || !opportunity) { return; }
  var opportunitiesUrl = picker.getAttribute("data-opportunities-url");

  function fillOpportunities(customerId) {
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

  picker.addEventListener("customer-change", function (event) { fillOpportunities(event.detail.id); });
})();
