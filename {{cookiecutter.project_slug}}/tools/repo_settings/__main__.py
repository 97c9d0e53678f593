import sys

from tools.repo_settings.cli import main

sys.exit(main())
