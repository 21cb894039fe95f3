"""Write dindlint/data/images.json from dindlint/data/images.yaml (run after editing the YAML).

    python scripts/compile_knowledge.py

tests/test_performance.py fails while the two disagree.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dindlint.images.knowledge import COMPILED_FILE, SOURCE_FILE, compile_source

COMPILED_FILE.write_text(compile_source(SOURCE_FILE.read_text(encoding="utf-8")), encoding="utf-8")
print(f"wrote {COMPILED_FILE}")
