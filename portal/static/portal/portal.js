/* Dossier customer portal: the little JavaScript it needs. No inline script or handler anywhere: the
 * Content-Security-Policy allows scripts from static files only.
 *   - a <select data-autosubmit> (the language switch) submits its form when changed
 *   - view-only share pages ([data-no-context-menu]) offer no "Save image as…" menu
 *   - a[data-history-back] goes back a page (its href, the home page, without JavaScript or history)
 *   - a table or text that scrolls in its own box (a phone's width) can take the keyboard's focus, so it
 *     can be scrolled with the arrow keys
 */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) { select.form.submit(); }
  });

  /* "Back" on an error page: the page before it, or the portal's home page when there is none. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-history-back]");
    if (link && window.history.length > 1) { event.preventDefault(); window.history.back(); }
  });

  function focusableWhenScrolling() {
    document.querySelectorAll("main table, main .share-text").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); box.setAttribute("data-scroll-box", ""); }
      if (!scrolls && box.hasAttribute("data-scroll-box")) { box.removeAttribute("tabindex"); box.removeAttribute("data-scroll-box"); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", focusableWhenScrolling); }
  else { focusableWhenScrolling(); }
  window.addEventListener("resize", focusableWhenScrolling);

  document.addEventListener("contextmenu", function (event) {
    if (event.target.closest && event.target.closest("[data-no-context-menu]")) { event.preventDefault(); }
  });
})();
