"""The README's first example states what it prints: it must keep doing so."""

from __future__ import annotations

import json
import re
from pathlib import Path

from extractor import Extractor

ROOT = Path(__file__).resolve().parents[1]


def test_the_first_python_example_prints_what_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    title_start = re.search(r'extract\(abstract, title="([^"]+?) \.\.\."\)', readme).group(1)
    factor = float(re.search(r"result\.speedups\[0\]\.factor\s+# ([\d.]+)", readme).group(1))
    text = re.search(r"result\.speedups\[0\]\.text\s+# '([^']+)'", readme).group(1)
    fixtures = (json.loads(line) for line in (ROOT / "fixtures" / "gold.jsonl").open())
    paper = next(f for f in fixtures if f["title"].startswith(title_start))
    result = Extractor("rules", cache=False).extract(paper["abstract"], paper["title"])
    assert (result.speedups[0].factor, result.speedups[0].text) == (factor, text)
