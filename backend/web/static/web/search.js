/* The header's one search box: grouped suggestions as you type (documents, customers, contacts,
 * quotes, orders, opportunities, knowledge articles), keyboard first.
 *   ↓ ↑ move through the suggestions, Enter opens the chosen one; Enter with none chosen submits the
 *   form (the full search page, which shows the same groups); Escape closes the list.
 * "/" focusing the box is app.js's. The input carries data-suggest-url; no inline script (CSP).
 */
(function () {
  "use strict";

  function init(box) {
    var url = box.getAttribute("data-suggest-url");
    if (!url) { return; }
    var form = box.form;
    var list = document.createElement("div");
    list.className = "suggest";
    list.id = "search-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("data-testid", "search-suggestions");
    list.hidden = true;
    (form || box.parentNode).appendChild(list);
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", list.id);
    box.setAttribute("autocomplete", "off");

    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(index) {
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) {
        box.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        box.removeAttribute("aria-activedescendant");
      }
    }

    function render(data) {
      list.textContent = "";
      options = [];
      active = -1;
      (data.groups || []).forEach(function (group) {
        var heading = document.createElement("div");
        heading.className = "suggest-group";
        heading.setAttribute("role", "presentation");
        heading.textContent = group.title;
        list.appendChild(heading);
        group.rows.forEach(function (row) {
          var option = document.createElement("a");
          option.className = "suggest-option";
          option.id = "suggest-" + options.length;
          option.href = row.url;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", "false");
          option.setAttribute("data-group", group.kind);
          option.setAttribute("tabindex", "-1");
          var label = document.createElement("span");
          label.textContent = row.label;
          option.appendChild(label);
          if (row.detail) {
            var detail = document.createElement("span");
            detail.className = "suggest-detail";
            detail.textContent = row.detail;
            option.appendChild(detail);
          }
          list.appendChild(option);
          options.push(option);
        });
      });
      if (!options.length) { close(); return; }
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
    }

    function ask() {
      var q = box.value.trim();
      if (!q) { close(); return; }
      var ticket = ++asked;
      fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { groups: [] }; })
        .then(function (data) { if (ticket === asked) { render(data); } })
        .catch(function () { close(); });
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && options.length) {
        event.preventDefault();
        if (list.hidden) { list.hidden = false; box.setAttribute("aria-expanded", "true"); }
        mark(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp" && options.length) {
        event.preventDefault();
        mark(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
        event.preventDefault();
        window.location.assign(options[active].href);
      } else if (event.key === "Escape" && !list.hidden) {
        event.stopPropagation();
        close();
      }
    });
    box.addEventListener("blur", function () { setTimeout(close, 200); });
  }

  function start() {
    document.querySelectorAll("input[data-search-box][data-suggest-url]").forEach(init);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
