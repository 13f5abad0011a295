/* Dossier staff interface: the little JavaScript it needs (htmx does the rest).
 *   - "/" focuses the search box; Escape leaves it
 *   - htmx requests carry the CSRF token
 *   - drag-and-drop version upload with a progress bar (XHR, raw body streamed to the server)
 *   - drag-and-drop cards on the pipeline board
 *   - a <select data-autosubmit> (the language switch) submits its form when changed
 * No inline script or handler anywhere: the Content-Security-Policy allows scripts from static files only.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) { select.form.submit(); }
  });

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    var typing = tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable;
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey) {
      var box = document.querySelector("[data-search-box]");
      if (box) { event.preventDefault(); box.focus(); box.select(); }
    } else if (event.key === "Escape" && typing) {
      event.target.blur();
    }
  });

  /* --- version upload ------------------------------------------------------------------- */
  function initUpload(zone) {
    var form = zone.closest("form");
    var input = form.querySelector('input[type="file"]');
    var bar = form.querySelector("[data-progress] > div");
    var barWrap = form.querySelector("[data-progress]");
    var status = form.querySelector("[data-upload-status]");
    var chosen = form.querySelector("[data-chosen]");
    var submit = form.querySelector('button[type="submit"]');
    var file = null;

    function show(kind, text) {
      status.className = "alert alert-" + kind;
      status.textContent = text;
      status.hidden = false;
    }
    function choose(f) {
      file = f;
      chosen.textContent = f ? f.name + " · " + Math.max(1, Math.round(f.size / 1024)) + " KB" : "";
      status.hidden = true;
    }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) { choose(e.dataTransfer.files[0]); }
    });
    input.addEventListener("change", function () { choose(input.files[0] || null); });

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!file) { show("error", form.dataset.msgNoFile); return; }
      var comment = form.querySelector('[name="comment"]').value;
      var url = form.action + "?comment=" + encodeURIComponent(comment);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
      xhr.setRequestHeader("Content-Disposition", "attachment; filename*=UTF-8''" + encodeURIComponent(file.name));
      barWrap.hidden = false;
      bar.style.width = "0%";
      submit.disabled = true;
      xhr.upload.onprogress = function (ev) {
        if (ev.lengthComputable) { bar.style.width = Math.round(100 * ev.loaded / ev.total) + "%"; }
      };
      xhr.onload = function () {
        submit.disabled = false;
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
        if (xhr.status >= 200 && xhr.status < 300 && body.redirect) {
          bar.style.width = "100%";
          show("success", body.message || "");
          window.location.assign(body.redirect);
        } else {
          barWrap.hidden = true;
          show("error", body.message || form.dataset.msgFailed);
        }
      };
      xhr.onerror = function () {
        submit.disabled = false;
        barWrap.hidden = true;
        show("error", form.dataset.msgFailed);
      };
      xhr.send(file);
    });
  }

  /* A deal moved to "lost" needs a reason: ask for it before the request goes out. */
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-move]")) { return; }
    var stage = form.querySelector('[name="stage"]');
    var reason = form.querySelector('[name="lost_reason"]');
    if (stage.value === "lost" && !reason.value) {
      var board = form.closest("[data-board]");
      var answer = window.prompt(board ? board.dataset.msgLostReason : "Why was the deal lost?");
      if (!answer) { event.preventDefault(); return; }
      reason.value = answer;
    }
  });

  /* --- pipeline board --------------------------------------------------------------------- */
  function initBoard(board) {
    var dragged = null;
    board.addEventListener("dragstart", function (e) {
      var card = e.target.closest("[data-card]");
      if (!card) { return; }
      dragged = card;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.dataset.card);
    });
    board.querySelectorAll("[data-stage]").forEach(function (column) {
      column.addEventListener("dragover", function (e) { if (dragged) { e.preventDefault(); column.classList.add("over"); } });
      column.addEventListener("dragleave", function () { column.classList.remove("over"); });
      column.addEventListener("drop", function (e) {
        e.preventDefault();
        column.classList.remove("over");
        if (!dragged) { return; }
        var form = dragged.querySelector("form[data-move]");
        var select = form.querySelector('[name="stage"]');
        if (select.value === column.dataset.stage && dragged.parentElement === column) { dragged = null; return; }
        select.value = column.dataset.stage;
        dragged = null;
        if (window.htmx) { window.htmx.trigger(form, "submit"); } else { form.submit(); }
      });
    });
  }

  function once(el, fn) {
    if (el.dataset.ready) { return; }
    el.dataset.ready = "1";
    fn(el);
  }
  function init(root) {
    if (!root.querySelectorAll) { return; }
    var all = function (sel) {
      var found = Array.prototype.slice.call(root.querySelectorAll(sel));
      if (root.matches && root.matches(sel)) { found.push(root); }
      return found;
    };
    all("[data-dropzone]").forEach(function (el) { once(el, initUpload); });
    all("[data-board]").forEach(function (el) { once(el, initBoard); });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.detail.elt); });
})();
