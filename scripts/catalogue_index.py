"""Write dindlint/data/catalogue.json from the rule documents in rules/ (run after editing one).

    python scripts/catalogue_index.py

tests/test_catalogue_index.py fails while the two disagree.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dindlint.catalogue import INDEX_FILE, index_of_documents

INDEX_FILE.write_text(index_of_documents(), encoding="utf-8")
print(f"wrote {INDEX_FILE}")
