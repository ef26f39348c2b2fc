"""`python -m extractor ...`: the same command as `extractor ...`, for a venv whose
scripts directory is not on PATH."""

import sys

from .cli import main

sys.exit(main())
