#!/usr/bin/env python3
"""Check an exported board report: every inline SVG (in HTML, or base64 in
Markdown data: URLs) parses as XML; prints a summary line per chart kind:
'svg N rect=R polyline=P path=A circle=C'."""
import base64
import re
import sys
import xml.etree.ElementTree as ET

text = open(sys.argv[1], encoding="utf-8").read()
svgs = re.findall(r"<svg.*?</svg>", text, re.S)
svgs += [base64.b64decode(b).decode("utf-8")
         for b in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", text)]
for i, s in enumerate(svgs):
    root = ET.fromstring(s)
    tags = [e.tag.split("}")[1] for e in root.iter()]
    print(f"svg {i} rect={tags.count('rect')} polyline={tags.count('polyline')} "
          f"path={tags.count('path')} circle={tags.count('circle')}")
