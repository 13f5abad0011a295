// The import wizard's progress bar: the commit form is sent in the background (a Celery worker writes the
// rows, or the request itself without a broker), and meanwhile the page asks for the run's progress every
// half second; when the run is imported the page shows the result.
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
        .then(function (state) {
          show(state);
          if (state.status === "committed") { finished = true; window.location.assign(form.dataset.doneUrl); }
          else if (!finished) { window.setTimeout(poll, 500); }
        })
        .catch(function () { if (!finished) { window.setTimeout(poll, 1000); } });
    }
    if (box) { box.hidden = false; }
    if (button) { button.disabled = true; }
    window.setTimeout(poll, 300);
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.error) { finished = true; form.submit(); return; }  // the page says why
        show(state);
        // with a worker the import goes on in the background: the polling above follows it to the end
        if (state.status === "committed" && !finished) {
          finished = true;
          window.location.assign(form.dataset.doneUrl);
        }
      })
      .catch(function () { if (!finished) { finished = true; form.submit(); } });
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
