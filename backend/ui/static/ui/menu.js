// The header's menu on a narrow screen: the button shows and hides the navigation, language and sign-out.
// Without this script (or on a wide screen) the menu simply stays open; the stylesheet folds it only once
// the header is marked "menu-ready" here.
(function () {
  "use strict";
  document.querySelectorAll("[data-menu-toggle]").forEach(function (button) {
    var header = button.closest(".topbar");
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!header || !menu) return;
    header.classList.add("menu-ready");
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    }
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        setOpen(false);
        button.focus();
      }
    });
  });
})();
