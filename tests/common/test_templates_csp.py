"""Every template of ours works under the Content-Security-Policy (`script-src 'self'`, no eval): no inline
<script>, no inline event handler, no javascript: URL, and no htmx attribute that htmx evaluates as code.
Scans the template folders of every app in the repository, staff interface and portal alike."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SKIPPED = {".venv", "var", "node_modules", ".git", "tests"}

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
# an attribute named on…= inside a tag (onclick, onchange, oncontextmenu, …)
HANDLER = re.compile(r"<[a-z][^>]*?\son[a-z]+\s*=", re.I | re.S)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
# htmx runs these through eval (Function): hx-on*, hx-vars, js:/javascript: values, trigger filters […]
HTMX_EVAL = re.compile(r"""\b(?:hx-on\b|hx-on:|hx-on-|data-hx-on|hx-vars\b)|hx-vals\s*=\s*["']\s*(?:js|javascript):"""
                       r"""|hx-trigger\s*=\s*["'][^"']*\[""", re.I)


def _templates() -> list[Path]:
    found = []
    for folder in REPO.rglob("templates"):
        if folder.is_dir() and not SKIPPED & set(folder.relative_to(REPO).parts):
            found += [path for path in folder.rglob("*") if path.is_file() and path.suffix in {".html", ".htm", ".js"}]
    return sorted(found)


def _problems(path: Path, root: Path = REPO) -> list[str]:
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(root))
    problems = []
    for match in SCRIPT_TAG.finditer(text):
        attributes = match.group(1)
        data_block = re.search(r"""type\s*=\s*["']application/(?:ld\+)?json["']""", attributes, re.I)
        if not re.search(r"\bsrc\s*=", attributes) and not data_block:
            problems.append(f"{name}: inline <script{attributes}>")
    problems += [f"{name}: inline handler {m.group(0)[-40:]!r}" for m in HANDLER.finditer(text)]
    problems += [f"{name}: javascript: URL" for _ in JAVASCRIPT_URL.finditer(text)]
    problems += [f"{name}: htmx attribute evaluated as code: {m.group(0)!r}" for m in HTMX_EVAL.finditer(text)]
    return problems


def test_the_scan_finds_the_templates_of_the_staff_interface_and_the_portal():
    names = {str(path.relative_to(REPO)) for path in _templates()}
    assert "backend/web/templates/web/base.html" in names
    assert "portal/templates/portal/base.html" in names
    assert "portal/templates/portal/share.html" in names


def test_the_scan_recognises_what_the_policy_would_block(tmp_path):
    # given a template with every forbidden kind (the scan must be able to fail)
    bad = tmp_path / "bad.html"
    bad.write_text('<script>alert(1)</script><select onchange="this.form.submit()"></select>'
                   '<a href="javascript:void(0)">x</a><button hx-on:click="go()"></button>'
                   '<input hx-trigger="keyup[key==\'Enter\']"><div hx-vals=\'js:{a: 1}\'></div>'
                   '<script src="/static/ok.js"></script><script type="application/json">{}</script>')
    # then each is found, and a script file or a JSON data block is not
    problems = _problems(bad, root=tmp_path)
    assert len(problems) == 6, problems


def test_no_template_has_inline_script_handlers_or_htmx_eval():
    # given every template in the repository; then none needs 'unsafe-inline' or 'unsafe-eval' to work
    problems = [problem for path in _templates() for problem in _problems(path)]
    assert problems == []


def test_htmx_is_told_not_to_eval():
    # given the staff base page, which loads htmx; then htmx's own config forbids eval and script tags
    base = (REPO / "backend/web/templates/web/base.html").read_text()
    config = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", base)
    assert config is not None
    assert '"allowEval":false' in config.group(1) and '"allowScriptTags":false' in config.group(1)
