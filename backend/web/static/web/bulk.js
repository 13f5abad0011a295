/* The bulk bar (web/partials/bulk_bar.html): shows only the chosen action's fields, counts the selected
 * documents, and offers "select all on this page". The row checkboxes belong to the bar's form through
 * their form="bulk-form" attribute, so without JavaScript the form posts just the same (every field shown).
 * Event delegation on the document, and set up again after htmx swaps (the search page's filters).
 * No inline script or handler anywhere (strict CSP).
 */
(function () {
  "use strict";

  function picks(form) {
    return Array.prototype.slice.call(document.querySelectorAll('input[type=checkbox][form="' + form.id + '"]'));
  }

  function showFields(form) {
    var select = form.querySelector("[data-bulk-action]");
    if (!select) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("[data-bulk-fields]"), function (fields) {
      var on = fields.getAttribute("data-bulk-fields") === select.value;
      fields.hidden = !on;
      /* hidden fields stay out of the post, so they cannot fail a required check or confuse the server */
      Array.prototype.forEach.call(fields.querySelectorAll("input, select, textarea"), function (input) {
        input.disabled = !on;
      });
    });
  }

  function count(form) {
    var boxes = picks(form);
    var chosen = boxes.filter(function (box) { return box.checked; }).length;
    var label = form.querySelector("[data-bulk-count]");
    if (label) {
      label.textContent = chosen ? form.getAttribute("data-count-some").replace("__N__", String(chosen))
        : form.getAttribute("data-count-none");
    }
    var all = form.querySelector("[data-bulk-all]");
    if (all) {
      all.checked = boxes.length > 0 && chosen === boxes.length;
      all.indeterminate = chosen > 0 && chosen < boxes.length;
    }
  }

  function setup(root) {
    var forms = (root || document).querySelectorAll ? (root || document).querySelectorAll("form[data-bulk-form]") : [];
    Array.prototype.forEach.call(forms, function (form) {
      Array.prototype.forEach.call(form.querySelectorAll("[data-bulk-js]"), function (el) { el.hidden = false; });
      showFields(form);
      count(form);
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || !target.matches) { return; }
    var form;
    if (target.matches("[data-bulk-action]")) {
      showFields(target.form);
    } else if (target.matches("[data-bulk-all]")) {
      form = target.form;
      picks(form).forEach(function (box) { box.checked = target.checked; });
      count(form);
    } else if (target.matches("input[type=checkbox][form]")) {
      form = document.getElementById(target.getAttribute("form"));
      if (form && form.hasAttribute("data-bulk-form")) { count(form); }
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setup(document); });
  } else {
    setup(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { setup(event.target); });
}());
