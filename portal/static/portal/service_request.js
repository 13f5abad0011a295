// The service-request form: as the customer types the title, ask for knowledge articles they may read that
// match it and list them under the title (links open the article in a new tab, so the form keeps its text).
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest-url]");
  var title = form && form.querySelector("#id_title");
  var box = document.getElementById("article-suggestions");
  if (!form || !title || !box) { return; }
  var list = box.querySelector("ul");
  var timer = null;
  var asked = "";

  function show(results) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    results.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = item.title;
      li.appendChild(a);
      list.appendChild(li);
    });
    box.hidden = results.length === 0;
  }

  function ask() {
    var q = title.value.trim();
    if (q === asked) { return; }
    asked = q;
    if (q.length < 2) { show([]); return; }
    var url = form.getAttribute("data-suggest-url") + "?q=" + encodeURIComponent(q);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (asked === q) { show(data.results || []); } })
      .catch(function () { show([]); });
  }

  title.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 250);
  });
  if (title.value.trim()) { ask(); }
}());
