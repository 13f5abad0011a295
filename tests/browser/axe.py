"""axe-core, the accessibility engine, for the browser tests: one pinned version from the npm registry,
fetched once from the registry (the tarball `npm pack` would fetch, by plain HTTPS: no npm needed) into
var/test-cache/, checked against the pinned integrity, and read from there afterwards, so the tests need
nothing installed by hand and work offline after the first run.

It is evaluated in the page over the DevTools protocol (page.evaluate), which the page's strict
Content-Security-Policy does not govern; an injected <script> would be refused, rightly.
"""

from __future__ import annotations

import base64
import hashlib
import json
import io
import os
import tarfile
import urllib.request
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
REGISTRY = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/").rstrip("/")
CACHE = Path(__file__).resolve().parents[2] / "var" / "test-cache" / f"axe-core-{AXE_VERSION}"

# The rules' tags that make WCAG 2.1 AA and axe's best practices.
RUN_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
               "resultTypes": ["violations"]}


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def axe_source() -> str:
    """The text of axe.min.js of the pinned version, fetched from the npm registry into the cache on first use."""
    script = CACHE / "axe.min.js"
    if script.exists():
        return script.read_text(encoding="utf-8")
    url = f"{REGISTRY}/axe-core/-/axe-core-{AXE_VERSION}.tgz"
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - a fixed https URL
        tarball = response.read()
    if _integrity(tarball) != AXE_INTEGRITY:
        raise RuntimeError(f"axe-core {AXE_VERSION} from {url} does not match its pinned integrity")
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        text = member.read().decode("utf-8")
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = script.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(script)
    return text


def serious_violations(page, source: str) -> list[str]:
    """Runs axe on the page and names every serious or critical violation: rule, impact, the first nodes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    result = page.evaluate("(options) => axe.run(document, options)", RUN_OPTIONS)
    found = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [json.dumps(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} at {', '.join(targets)}")
    return found
