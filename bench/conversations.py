"""``python -m bench.conversations``: the conversation benchmark (``bench.conversation_runner``).

The conversations themselves are the YAML files in the directory of the same name.
"""

import sys

from bench.conversation_runner.cli import main

if __name__ == "__main__":
    sys.exit(main())
