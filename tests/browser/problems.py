"""What a journey watches for on every page it opens: Content-Security-Policy violations and script errors,
and whether a part of the page fits a 390 px phone. Shared by the journeys in this folder."""

from __future__ import annotations

# Run in every page before its own scripts: each CSP violation is reported to the test through a binding.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def watch_problems(page, problems: list[str]) -> None:
    """Append each CSP violation and script error of `page`'s context to `problems` (assert it stays empty)."""
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))


def fits_phone(page, selector: str) -> bool:
    """Whether `selector` and the page fit a 390 px wide viewport without sideways scrolling; the viewport goes
    back to 1366 px afterwards."""
    page.set_viewport_size({"width": 390, "height": 844})
    fits = page.eval_on_selector(selector, "el => el.scrollWidth <= el.clientWidth + 1 && "
                                 "document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1366, "height": 900})
    return fits
