import sys

from bench.conversation_runner.cli import main

sys.exit(main())
