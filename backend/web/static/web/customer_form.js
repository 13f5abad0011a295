/* Dossier: the customer form's live duplicate guard (web/customer_form.html).
 *
 * As the name, region or code is typed (after a short pause), the page asks the server's duplicate guard
 * (GET customers/duplicates/?name=&region=&code=&customer=) and shows its answer under the name, in a
 * polite live region so a screen reader hears it. The server decides what may be said: a customer the
 * person may see is named with its owner and a link; one they may not see is only said to exist, with whom
 * to ask. Answers arriving out of order are dropped (only the latest question counts). Without JavaScript
 * the form still posts, and a refused duplicate shows the same guard on the page that comes back.
 * No inline script or handler: the Content-Security-Policy allows scripts from static files only.
 */
(function () {
  "use strict";

  var DELAY = 250;
  var form = document.querySelector("form[data-customer-form]");
  if (!form) { return; }
  var target = document.getElementById("customer-duplicates");
  var url = form.getAttribute("data-duplicates-url");
  var fields = form.querySelectorAll("[data-duplicate-field]");
  var timer = null;
  var asked = 0;
  var lastQuery = null;

  function query() {
    var params = new URLSearchParams();
    fields.forEach(function (input) { params.set(input.getAttribute("data-duplicate-field"), input.value.trim()); });
    var customer = form.getAttribute("data-customer");
    if (customer) { params.set("customer", customer); }
    return params.toString();
  }

  function ask() {
    var text = query();
    if (text === lastQuery) { return; }
    lastQuery = text;
    var number = ++asked;
    form.setAttribute("data-guard", "asking");
    fetch(url + "?" + text, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (number !== asked) { return; }
        target.innerHTML = html;
        form.setAttribute("data-guard", "done");
      })
      .catch(function () {
        if (number === asked) { form.setAttribute("data-guard", "failed"); }
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, DELAY);
  }

  fields.forEach(function (input) {
    input.addEventListener("input", later);
    input.addEventListener("change", later);
  });
  /* A page that came back with the fields filled (a refused save, the back button) asks once at once. */
  lastQuery = target.children.length ? query() : null;
  if (!target.children.length && form.querySelector("[data-duplicate-field='name']").value.trim()) { ask(); }
}());
