/* Dossier: the new-document page (web/document_new.html).
 *
 * Files dropped anywhere on the page or chosen with the file box are listed, one row each. "Upload" sends
 * every ready file on its own request (three at a time), each as the raw body of a POST with a progress
 * bar, so each becomes its own document:
 *   - the batch's details (kind, classification, customer, opportunity, quote, tags) apply to every file;
 *     a file's own details (its row's "Details for this file") override them for that file;
 *   - each file gets an Idempotency-Key: a retry after a lost answer returns the document the first try
 *     made instead of making a second one (a new key only when the file's details changed);
 *   - the browser's sha256 of the file (crypto.subtle, where the page is a secure context) asks the server
 *     first whether the same bytes are already in a document the person may see, and goes with the upload
 *     as X-Content-SHA256 (the store checks it); the server checks again either way;
 *   - a refused or failed file stays in the list with its reason and a Retry button that re-sends only it;
 *     a duplicate offers to open the document, add the file there as a new version, or store it anyway.
 * No inline script or handler: the Content-Security-Policy allows scripts from static files only.
 */
(function () {
  "use strict";

  var PARALLEL = 3;
  var HASH_LIMIT = 256 * 1024 * 1024; /* larger files are hashed by the server only */
  var FIELDS = ["kind", "classification", "customer", "opportunity", "quote", "tags"];

  var form = document.querySelector("form[data-new-documents]");
  if (!form) { return; }
  var list = form.querySelector("[data-file-list]");
  var template = document.querySelector("template[data-file-row]");
  var fileInput = form.querySelector("[data-file-input]");
  var dropzone = form.querySelector("[data-drop-files]");
  var startButton = form.querySelector("[data-start]");
  var retryAll = form.querySelector("[data-retry-all]");
  var summary = form.querySelector("[data-summary]");
  var msg = form.dataset;
  var items = [];
  var sequence = 0;
  var running = 0;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.getAttribute("content")) { return meta.getAttribute("content"); }
    var field = form.querySelector('[name="csrfmiddlewaretoken"]');
    return field ? field.value : "";
  }

  function format(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (_all, name) {
      return values[name] === undefined ? "" : String(values[name]);
    });
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sizeText(bytes) {
    if (bytes < 1024) { return bytes + " B"; }
    if (bytes < 1024 * 1024) { return Math.max(1, Math.round(bytes / 1024)) + " KB"; }
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function stem(name) {
    var dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(0, dot) : name;
  }

  function sha256(file) {
    if (!(window.crypto && window.crypto.subtle && file.arrayBuffer) || file.size > HASH_LIMIT) {
      return Promise.resolve(null);
    }
    return file.arrayBuffer().then(function (buffer) {
      return window.crypto.subtle.digest("SHA-256", buffer);
    }).then(function (digest) {
      return Array.prototype.map.call(new Uint8Array(digest), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    }).catch(function () { return null; });
  }

  /* --- one row per file ------------------------------------------------------------------------ */

  function part(item, name) { return item.row.querySelector("[data-" + name + "]"); }

  function setState(item, state, text, kind) {
    item.state = state;
    item.row.setAttribute("data-state", state);
    var badge = part(item, "state");
    badge.textContent = text;
    badge.className = "badge" + (kind ? " badge-" + kind : "");
  }

  function say(item, text, kind) {
    var box = part(item, "message");
    box.textContent = text || "";
    box.className = text ? "small" + (kind === "bad" ? " field-error" : " muted") : "";
  }

  /* The buttons' class sets their display, which beats the hidden attribute: set both. */
  function visible(el, shown) {
    el.hidden = !shown;
    el.style.display = shown ? "" : "none";
  }

  function show(item, names) {
    ["retry", "open", "as-version", "anyway", "remove"].forEach(function (name) {
      visible(part(item, name), names.indexOf(name) >= 0);
    });
  }

  function lockDetails(item, locked) {
    Array.prototype.forEach.call(item.row.querySelectorAll("[data-details] input, [data-details] select"),
      function (el) { el.disabled = locked; });
  }

  function addFile(file) {
    sequence += 1;
    var id = "f" + sequence;
    var row = template.content.firstElementChild.cloneNode(true);
    var item = { id: id, file: file, row: row, state: "ready", key: null, signature: null, sha: undefined,
                 duplicate: null, versionKey: null };
    row.setAttribute("data-file", id);
    row.querySelector("[data-name]").textContent = file.name;
    row.querySelector("[data-size]").textContent = sizeText(file.size);
    /* unique ids for the row's labels, fields and pickers */
    Array.prototype.forEach.call(row.querySelectorAll("[data-field]"), function (el) {
      el.id = id + "-" + el.getAttribute("data-field");
    });
    Array.prototype.forEach.call(row.querySelectorAll("[data-picker-for]"), function (el) {
      var name = el.getAttribute("data-picker-for");
      el.id = id + "-" + name + "_q";
      el.setAttribute("data-picker-target", id + "-" + name);
    });
    Array.prototype.forEach.call(row.querySelectorAll("label[data-for]"), function (label) {
      label.setAttribute("for", id + "-" + label.getAttribute("data-for"));
    });
    row.querySelector('[data-field="title"]').value = stem(file.name);
    part(item, "retry").addEventListener("click", function () { queue(item); });
    part(item, "anyway").addEventListener("click", function () { item.allowDuplicate = true; queue(item); });
    part(item, "as-version").addEventListener("click", function () { addAsVersion(item); });
    part(item, "remove").addEventListener("click", function () {
      if (item.state === "sending" || item.state === "checking") { return; }
      items.splice(items.indexOf(item), 1);
      row.remove();
      refresh();
    });
    part(item, "progress").value = 0;
    show(item, ["remove"]);
    items.push(item);
    list.appendChild(row);
    setState(item, "ready", msg.msgReady, "info");
  }

  function addFiles(files) {
    Array.prototype.forEach.call(files || [], addFile);
    summary.hidden = true;
    refresh();
  }

  function fieldsFor(item) {
    var fields = {};
    FIELDS.forEach(function (name) {
      var own = item.row.querySelector('[data-field="' + name + '"]');
      var batch = form.querySelector('[data-batch-field="' + name + '"]');
      fields[name] = (own && own.value.trim()) || (batch ? batch.value.trim() : "");
    });
    fields.title = item.row.querySelector('[data-field="title"]').value.trim() || stem(item.file.name);
    if (item.allowDuplicate) { fields.duplicate = "allow"; }
    return fields;
  }

  function queryString(fields) {
    var params = new URLSearchParams();
    Object.keys(fields).forEach(function (name) { if (fields[name]) { params.append(name, fields[name]); } });
    return params.toString();
  }

  /* --- sending ----------------------------------------------------------------------------------- */

  function post(url, item, key, onDone) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", item.file.type || "application/octet-stream");
    xhr.setRequestHeader("Content-Disposition", "attachment; filename*=UTF-8''" + encodeURIComponent(item.file.name));
    xhr.setRequestHeader("Idempotency-Key", key);
    if (item.sha) { xhr.setRequestHeader("X-Content-SHA256", item.sha); }
    var bar = part(item, "progress");
    bar.value = 0;
    xhr.upload.onprogress = function (event) {
      if (event.lengthComputable) { bar.value = Math.round(100 * event.loaded / event.total); }
    };
    xhr.onload = function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      onDone(xhr.status, body);
    };
    xhr.onerror = xhr.ontimeout = xhr.onabort = function () { onDone(0, {}); };
    xhr.send(item.file);
  }

  function failed(item, text) {
    setState(item, "failed", msg.msgFailed, "bad");
    say(item, text || msg.msgNetwork, "bad");
    part(item, "progress").value = 0;
    lockDetails(item, false);
    show(item, ["retry", "remove"]);
  }

  function created(item, body, text) {
    setState(item, "done", msg.msgDone, "ok");
    say(item, text || body.message || "");
    part(item, "progress").value = 100;
    var open = part(item, "open");
    open.href = body.url;
    item.row.setAttribute("data-document", body.id);
    lockDetails(item, true);
    show(item, ["open"]);
  }

  function offerDuplicate(item, duplicates) {
    var first = duplicates[0];
    item.duplicate = first;
    setState(item, "duplicate", msg.msgDuplicate, "warn");
    say(item, first.message);
    part(item, "progress").value = 0;
    var open = part(item, "open");
    open.href = first.url;
    lockDetails(item, false);
    show(item, ["open", "as-version", "anyway", "remove"]);
  }

  function send(item) {
    var fields = fieldsFor(item);
    var signature = JSON.stringify(fields);
    if (!item.key || item.signature !== signature) { item.key = newKey(); item.signature = signature; }
    setState(item, "sending", msg.msgSending, "info");
    say(item, "");
    show(item, []);
    post(msg.uploadUrl + "?" + queryString(fields), item, item.key, function (status, body) {
      if (status === 200 || status === 201) {
        created(item, body);
      } else if (status === 409 && body.duplicates && body.duplicates.length) {
        offerDuplicate(item, body.duplicates);
      } else if (status === 413 && !body.message) {
        failed(item, item.file.name + ": " + msg.msgTooLarge);
      } else {
        failed(item, body.message || (status ? item.file.name + ": " + msg.msgFailed : msg.msgNetwork));
      }
      finished();
    });
  }

  function check(item) {
    if (item.allowDuplicate || item.sha !== undefined) { return Promise.resolve([]); }
    setState(item, "checking", msg.msgChecking, "info");
    return sha256(item.file).then(function (sha) {
      item.sha = sha;
      if (!sha) { return []; }
      return fetch(msg.duplicatesUrl + "?sha256=" + sha, {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : { duplicates: [] };
      }).then(function (data) { return data.duplicates || []; });
    }).catch(function () { return []; });
  }

  function run(item) {
    running += 1;
    lockDetails(item, true);
    show(item, []);
    check(item).then(function (duplicates) {
      if (duplicates.length) { offerDuplicate(item, duplicates); finished(); return; }
      send(item);
    });
  }

  function addAsVersion(item) {
    var target = item.duplicate;
    if (!target) { return; }
    running += 1;
    if (!item.versionKey) { item.versionKey = newKey(); }
    setState(item, "sending", msg.msgSending, "info");
    show(item, []);
    post(target.version_url, item, item.versionKey, function (status, body) {
      if (status === 200 || status === 201) {
        created(item, body, body.message || msg.msgAsVersionDone);
      } else {
        failed(item, body.message);
        show(item, ["open", "as-version", "anyway", "remove"]);
      }
      finished();
    });
  }

  var waiting = [];

  function queue(item) {
    if (waiting.indexOf(item) >= 0 || item.state === "sending" || item.state === "checking") { return; }
    setState(item, "queued", msg.msgReady, "info");
    show(item, []);
    waiting.push(item);
    pump();
  }

  function pump() {
    while (running < PARALLEL && waiting.length) { run(waiting.shift()); }
    refresh();
  }

  function finished() {
    running -= 1;
    pump();
  }

  function refresh() {
    var ready = items.filter(function (item) { return item.state === "ready"; }).length;
    var failedCount = items.filter(function (item) { return item.state === "failed"; }).length;
    var attention = items.filter(function (item) {
      return item.state === "failed" || item.state === "duplicate";
    }).length;
    var done = items.filter(function (item) { return item.state === "done"; }).length;
    startButton.textContent = ready ? format(msg.msgUploadN, { count: ready }) : msg.msgUpload;
    startButton.disabled = ready === 0;
    visible(retryAll, failedCount >= 2);
    if (items.length && running === 0 && waiting.length === 0 && ready === 0) {
      summary.textContent = format(msg.msgSummary, { done: done, total: items.length, failed: attention });
      summary.className = "alert " + (attention ? "alert-warning" : "alert-success");
      summary.hidden = false;
    }
  }

  /* --- choosing and dropping ------------------------------------------------------------------------ */

  fileInput.addEventListener("change", function () {
    addFiles(fileInput.files);
    fileInput.value = "";
  });

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") >= 0;
  }
  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (!hasFiles(event)) { return; }
      event.preventDefault();
      dropzone.classList.add("over");
    });
  });
  document.addEventListener("dragleave", function (event) {
    if (!event.relatedTarget) { dropzone.classList.remove("over"); }
  });
  document.addEventListener("drop", function (event) {
    if (!hasFiles(event)) { return; }
    event.preventDefault();
    dropzone.classList.remove("over");
    addFiles(event.dataTransfer.files);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var ready = items.filter(function (item) { return item.state === "ready"; });
    if (!ready.length) {
      summary.textContent = msg.msgNoFiles;
      summary.className = "alert alert-error";
      summary.hidden = false;
      return;
    }
    summary.hidden = true;
    ready.forEach(queue);
  });

  retryAll.addEventListener("click", function () {
    items.filter(function (item) { return item.state === "failed"; }).forEach(queue);
  });

  /* The file box stays for browsers without this script; with it, the list replaces the form's file. */
  fileInput.removeAttribute("name");
  refresh();
})();
