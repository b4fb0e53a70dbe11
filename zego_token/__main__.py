import sys

from zego_token.cli import main

sys.exit(main())
