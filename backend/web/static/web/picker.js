/* Dossier pickers: find a user, group, customer, opportunity, quote, order, service record or document
 * by typing part of its Chinese or English name.
 *
 *   <label for="user-q">Colleague</label>
 *   <input type="text" id="user-q" name="user_q" data-picker="user" data-picker-target="id_user"
 *          data-picker-empty="Nothing found">          (optional: data-picker-url="/pick/user/")
 *   <input type="hidden" name="user" id="id_user">
 *
 * Typing asks GET /pick/<kind>/?q=… (JSON {"results": [{id, label, detail}]}, only rows the user may see)
 * and shows a list under the box: ↑ ↓ move, Enter picks, Esc closes; a click or tap picks too. Picking
 * puts the label in the text box and the id in the hidden input (a "change" event fires on it, and
 * "picker:select" with {id, label, detail} on the text box). Typing again clears the hidden id.
 * A <select data-picker-kind-for="<text box id>"> switches the box between kinds.
 * Without JavaScript the text box posts as it is: the server may read an id typed there (the views take
 * the hidden field, else a number in "<name>_q").
 * Set up on load, on htmx swaps, and on first focus for anything else added later. No inline script or style anywhere.
 */
(function () {
  "use strict";

  var DELAY_MS = 150;
  var counter = 0;

  function setup(input) {
    if (input.dataset.pickerReady) { return; }
    input.dataset.pickerReady = "1";
    counter += 1;
    var kindSelect = input.id && document.querySelector('select[data-picker-kind-for="' + input.id + '"]');
    if (kindSelect) { input.setAttribute("data-picker", kindSelect.value); }  /* a restored form keeps its choice */

    function url() {
      return input.getAttribute("data-picker-url") ||
        "/pick/" + encodeURIComponent(input.getAttribute("data-picker")) + "/";
    }
    var target = document.getElementById(input.getAttribute("data-picker-target") || "");
    var emptyText = input.getAttribute("data-picker-empty") || "Nothing found";
    var listId = "picker-list-" + counter;

    var wrap = document.createElement("div");
    wrap.className = "picker";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var list = document.createElement("ul");
    list.className = "picker-list";
    list.id = listId;
    list.setAttribute("role", "listbox");
    if (input.labels && input.labels.length) { list.setAttribute("aria-label", input.labels[0].textContent.trim()); }
    list.hidden = true;
    wrap.appendChild(list);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      active = index;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        if (items[index].scrollIntoView) { items[index].scrollIntoView({ block: "nearest" }); }
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var row = results[index];
      if (!row) { return; }
      input.value = row.label;
      if (target) {
        target.value = String(row.id);
        target.dispatchEvent(new Event("change", { bubbles: true }));
      }
      close();
      input.dispatchEvent(new CustomEvent("picker:select", { bubbles: true, detail: row }));
    }

    function render() {
      list.textContent = "";
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "picker-empty";
        none.textContent = emptyText;
        list.appendChild(none);
      }
      results.forEach(function (row, index) {
        var item = document.createElement("li");
        item.id = listId + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.setAttribute("data-picker-id", String(row.id));
        var label = document.createElement("span");
        label.className = "picker-label";
        label.textContent = row.label;
        item.appendChild(label);
        if (row.detail) {
          var detail = document.createElement("span");
          detail.className = "picker-detail";
          detail.textContent = row.detail;
          item.appendChild(detail);
        }
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(index); input.focus(); });
        list.appendChild(item);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function ask() {
      var text = input.value.trim();
      asked += 1;
      var mine = asked;
      if (!text) { results = []; close(); return; }
      fetch(url() + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : { results: [] };
      }).then(function (data) {
        if (mine !== asked || document.activeElement !== input) { return; }
        results = data.results || [];
        render();
      }).catch(function () { /* the box keeps its text; the form still posts */ });
    }

    input.addEventListener("input", function () {
      if (target && target.value) {
        target.value = "";
        target.dispatchEvent(new Event("change", { bubbles: true }));
      }
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { if (results.length) { render(); } else { ask(); } return; }
        highlight(Math.min(active + 1, results.length - 1));
      } else if (event.key === "ArrowUp") {
        if (!open) { return; }
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        if (!open) { return; }
        if (active >= 0) { event.preventDefault(); choose(active); }
        else if (results.length === 1) { event.preventDefault(); choose(0); }
        else { event.preventDefault(); }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); event.stopPropagation(); close(); }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () { setTimeout(close, 120); });
  }

  /* <select data-picker-kind-for="ID"> switches the picker ID between kinds (user/group, quote/order...):
   * its value becomes the box's data-picker, and what was typed or picked is cleared. */
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-picker-kind-for]")) { return; }
    var input = document.getElementById(select.getAttribute("data-picker-kind-for"));
    if (!input) { return; }
    input.setAttribute("data-picker", select.value);
    input.value = "";
    var target = document.getElementById(input.getAttribute("data-picker-target") || "");
    if (target) { target.value = ""; }
  });

  function setupWithin(root) {
    if (!root || !root.querySelectorAll) { return; }
    if (root.matches && root.matches("input[data-picker]")) { setup(root); }
    Array.prototype.forEach.call(root.querySelectorAll("input[data-picker]"), setup);
  }

  /* On load, on whatever htmx swaps in, and (for anything else added later) on first focus. */
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setupWithin(document); });
  } else {
    setupWithin(document);
  }
  document.addEventListener("htmx:load", function (event) { setupWithin(event.target); });
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("input[data-picker]") && !input.dataset.pickerReady) {
      setup(input);
      input.focus();  /* moving the box into its wrapper took the focus away */
    }
  });
})();
