"""``python -m search_app.cli``: the plansearch command."""

import sys

from . import main

sys.exit(main())
