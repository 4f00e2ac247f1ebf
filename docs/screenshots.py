"""Take the README's screenshots of a running ``kg serve`` (headless Chromium, as the browser tests drive it).

Usage: ``python docs/screenshots.py http://127.0.0.1:8000/`` (writes docs/*.png).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from browser import headless_chromium  # noqa: E402 - the tests' browser, after the path is set

CONSTRUCT = "CONSTRUCT WHERE { id:alaska-summit nkg:hasParticipant ?who . ?who nkg:holdsOffice ?office }"
#: File name, path on the server, and a script to run before the picture.
SHOTS = [
    ("home.png", "", ""),
    ("entity.png", "id/vladimir-putin#claims-heading", ""),
    (
        "article.png",
        "article/2025-08-17-witkoff-security-guarantees",
        "document.getElementById('char=331,334').focus({preventScroll: true}); scrollTo(0, 180);",
    ),
    ("timeline.png", "timeline", ""),
    ("graph.png", "graph-view", ""),
    ("query.png", "query?" + urlencode({"query": CONSTRUCT}), "scrollTo(0, 240);"),
    ("ontology.png", "ontology#Claim", ""),
    ("why.png", "explain?s=id:keir-starmer&p=nkg:holdsOfficeIn&o=id:united-kingdom", ""),
]


def main(base: str) -> int:
    with tempfile.TemporaryDirectory() as profile, headless_chromium(Path(profile)) as browser:
        browser.set_window_size(1100, 760)
        for name, path, script in SHOTS:
            browser.get(base + path)
            time.sleep(1.0)
            browser.execute_script(script)
            time.sleep(0.2)
            browser.save_screenshot(str(HERE / name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/"))
