// The import wizard's progress bar: the commit form is sent in the background, and while it runs the
// page asks for the run's progress every half second; when it is done the page shows the result.
// Without JavaScript the form posts normally and the page comes back when the import is done.
(function () {
  "use strict";
  function start(form) {
    var box = document.querySelector("[data-import-progress]");
    var bar = box && box.querySelector("progress");
    var text = box && box.querySelector("[data-import-progress-text]");
    var button = form.querySelector("button[type=submit]");
    var finished = false;
    function show(state) {
      if (!bar) { return; }
      bar.max = state.total || 1;
      bar.value = state.done;
      bar.textContent = Math.round(100 * state.done / (state.total || 1)) + "%";
      if (text) { text.textContent = state.done + " / " + state.total; }
    }
    function poll() {
      if (finished) { return; }
      fetch(form.dataset.progressUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (state) { show(state); if (!finished) { window.setTimeout(poll, 500); } })
        .catch(function () { if (!finished) { window.setTimeout(poll, 1000); } });
    }
    if (box) { box.hidden = false; }
    if (button) { button.disabled = true; }
    window.setTimeout(poll, 300);
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        finished = true;
        show(state);
        window.location.assign(form.dataset.doneUrl);
      })
      .catch(function () { finished = true; form.submit(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-import-commit]");
    if (!form || !window.fetch) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start(form);
    });
  });
})();
