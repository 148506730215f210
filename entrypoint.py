"""The GitHub Action's entry point: action.yml runs it with error-fix's private virtualenv.

All the work is in ``error_fix.gha`` (inputs, the pipeline, outputs, job summary, annotations);
this file only finds the package: the one installed in the running interpreter, else the action's
own ``src/`` next to this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    from error_fix.gha import main
except ImportError:  # run from a checkout of the action without installing it
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    from error_fix.gha import main

if __name__ == "__main__":
    sys.exit(main())
