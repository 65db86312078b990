"""``python -m app`` starts Chainrule (same as the ``chainrule`` command)."""
import sys

from app.cli import main

sys.exit(main())
