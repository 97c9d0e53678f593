import sys

from epa_toolkit.repo_settings.cli import main

sys.exit(main())
