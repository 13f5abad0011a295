/* The handover page (web/handover.html): picking a colleague in the picker adds them to who takes over;
 * "All to <colleague>" sets every row's choice without leaving the page, and choosing a colleague for a customer chooses them for that customer's deals, quotes, reminders
 * and team place too, unless those were chosen on their own. Without JavaScript the "All to" buttons
 * submit the form and the preview applies them. No inline script or style anywhere. */
(function () {
  "use strict";

  function setup(form) {
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-customer]"));

    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-all-to]");
      if (!button) { return; }
      event.preventDefault();
      var value = button.getAttribute("data-all-to");
      selects.forEach(function (select) {
        select.value = value;
        delete select.dataset.chosen;
      });
      var status = form.querySelector("[data-handover-status]");
      if (status) { status.textContent = button.textContent.trim(); }
    });

    form.addEventListener("change", function (event) {
      var select = event.target;
      if (!select.matches || !select.matches("select[data-customer]")) { return; }
      select.dataset.chosen = "1";
      if (select.getAttribute("data-kind") !== "customer") { return; }
      var customer = select.getAttribute("data-customer");
      selects.forEach(function (other) {
        if (other !== select && other.getAttribute("data-customer") === customer &&
            other.getAttribute("data-kind") !== "customer" && !other.dataset.chosen) {
          other.value = select.value;
        }
      });
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-handover-form]"), setup);
    /* Picking a colleague who takes over adds them at once (the form lists who is taking over). */
    document.addEventListener("picker:select", function (event) {
      var form = event.target.closest && event.target.closest("form[data-handover-choose]");
      if (form) { form.submit(); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
