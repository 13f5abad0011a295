/* The quote editor (web/quote_form.html): line rows with the product picker, live totals and warnings.
 *
 * As the rep types, the form is posted (as it is, with its CSRF token) to its data-preview-url, which
 * saves nothing and answers JSON: per filled row (rows with nothing in product, quantity and unit price are
 * skipped, as the server does) the unit price used, the line total and the line's errors; the totals; the
 * warnings (another rep's open quote, a price far from the last accepted one, below the floor price), in
 * the page's language. An empty unit price is filled with the list price the server used; picking another
 * product replaces a price filled that way, never one the rep typed.
 * "Add a line" clones the row <template>; "Remove" takes a row away (one always stays).
 * No inline script or style; without JavaScript the form still posts and the server checks everything.
 */
(function () {
  "use strict";

  var DELAY_MS = 250;

  function setup(form) {
    var rowsBox = form.querySelector("[data-quote-rows]");
    var template = form.querySelector("template[data-quote-row-template]");
    var addButton = form.querySelector("[data-quote-add-row]");
    var warningsBox = form.querySelector("[data-quote-warnings]");
    var url = form.getAttribute("data-preview-url");
    var counter = rowsBox.querySelectorAll("[data-quote-row]").length + 100;
    var timer = null;
    var asked = 0;

    function rows() { return Array.prototype.slice.call(rowsBox.querySelectorAll("[data-quote-row]")); }
    function value(row, selector) {
      var input = row.querySelector(selector);
      return input ? input.value.trim() : "";
    }
    function filled(row) {
      return value(row, "[data-quote-product]") || value(row, "[data-quote-product-q]") ||
        value(row, "[data-quote-quantity]") || value(row, "[data-quote-unit-price]");
    }
    function setText(selector, text) {
      var node = form.querySelector(selector);
      if (node) { node.textContent = text; }
    }

    function showRemoveButtons() {
      var all = rows();
      all.forEach(function (row) {
        var button = row.querySelector("[data-quote-remove-row]");
        if (button) { button.hidden = all.length < 2; }
      });
    }

    function addRow() {
      counter += 1;
      var html = template.innerHTML.replace(/__N__/g, String(counter));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      rowsBox.appendChild(row);
      showRemoveButtons();
      var first = row.querySelector("[data-quote-product-q]");
      if (first) { first.focus(); }
    }

    function render(answer) {
      var lines = answer.lines || [];
      var index = 0;
      rows().forEach(function (row) {
        var total = row.querySelector("[data-quote-line-total]");
        var hint = row.querySelector("[data-quote-line-hint]");
        if (!filled(row)) {
          total.textContent = "—";
          hint.textContent = "";
          return;
        }
        var line = lines[index] || {};
        index += 1;
        total.textContent = line.line_total_display || "—";
        var price = row.querySelector("[data-quote-unit-price]");
        if (price && !price.value.trim() && line.unit_price) {
          price.value = line.unit_price;
          price.setAttribute("data-prefilled", "1");
        }
        var messages = [];
        var errors = line.errors || {};
        Object.keys(errors).forEach(function (name) { messages = messages.concat(errors[name]); });
        hint.textContent = messages.join(" ");
        hint.classList.toggle("field-error", messages.length > 0);
      });
      if (answer.total_display !== undefined) {
        setText("[data-quote-gross]", answer.gross_display);
        setText("[data-quote-discounts]", answer.discount_display);
        setText("[data-quote-total]", answer.total_display);
      }
      warningsBox.textContent = "";
      (answer.warnings || []).forEach(function (warning) {
        var box = document.createElement("div");
        box.className = "warning-box";
        box.setAttribute("data-warning-code", warning.code);
        box.textContent = "⚠ " + warning.message;
        warningsBox.appendChild(box);
      });
      if (answer.message) {
        var note = document.createElement("div");
        note.className = "muted small";
        note.textContent = answer.message;
        warningsBox.appendChild(note);
      }
      form.setAttribute("data-previewed", String(asked));
    }

    function preview() {
      asked += 1;
      var mine = asked;
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (!response.ok) { throw new Error("preview " + response.status); }
        return response.json();
      }).then(function (answer) {
        if (mine === asked) { render(answer); }
      }).catch(function () { /* the server checks everything again on save */ });
    }

    function later() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(preview, DELAY_MS);
    }

    form.addEventListener("input", function (event) {
      if (event.target.matches && event.target.matches("[data-quote-unit-price]")) {
        event.target.removeAttribute("data-prefilled");
      }
      later();
    });
    form.addEventListener("change", later);
    form.addEventListener("picker:select", function (event) {
      var row = event.target.closest && event.target.closest("[data-quote-row]");
      var price = row && row.querySelector("[data-quote-unit-price]");
      if (price && price.getAttribute("data-prefilled")) {
        price.value = "";  /* the new product's list price replaces the old one's */
        price.removeAttribute("data-prefilled");
      }
      var quantity = row && row.querySelector("[data-quote-quantity]");
      if (quantity && !quantity.value.trim()) { quantity.value = "1"; }
      later();
    });
    form.addEventListener("click", function (event) {
      var remove = event.target.closest && event.target.closest("[data-quote-remove-row]");
      if (remove && rows().length > 1) {
        remove.closest("[data-quote-row]").remove();
        showRemoveButtons();
        later();
      }
    });
    if (addButton) {
      addButton.hidden = false;
      addButton.addEventListener("click", addRow);
    }
    showRemoveButtons();
    if (rows().some(filled) || form.querySelector("input[name=customer]")) { preview(); }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-quote-editor]"), setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
