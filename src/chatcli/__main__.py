import sys

from chatcli.cli import main

sys.exit(main())
