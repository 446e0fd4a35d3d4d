#!/usr/bin/env python3
"""Every relative href/src in the built docs site (docs/_site) names a file that exists.

docfx already fails on broken links in the Markdown it reads (InvalidFileLink, InvalidBookmark, UidNotFound
with --warningsAsErrors); this also covers what it writes itself: the table of contents, API pages, assets.
"""
import glob
import os
import re
import sys
import urllib.parse

site = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "_site")
pages = glob.glob(os.path.join(site, "**", "*.html"), recursive=True)
if not pages:
    print(f"no HTML pages under {site}")
    sys.exit(1)

broken, checked = [], 0
for page in pages:
    with open(page, encoding="utf-8") as f:
        html = f.read()
    for match in re.finditer(r'(?:href|src)="([^"#?]*)', html):
        target = match.group(1)
        # Absolute URLs (https:, mailto:, //host) and same-page anchors are not files of the site.
        if not target or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target) or target.startswith("//"):
            continue
        checked += 1
        path = os.path.normpath(os.path.join(os.path.dirname(page), urllib.parse.unquote(target)))
        if not os.path.exists(path):
            broken.append(f"{os.path.relpath(page, site)}: {target}")

print(f"{len(pages)} pages, {checked} relative links, {len(broken)} broken")
for line in broken:
    print("  " + line)
sys.exit(1 if broken else 0)
