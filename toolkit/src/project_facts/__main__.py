import sys

from project_facts import main

sys.exit(main())
