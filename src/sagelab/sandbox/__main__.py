"""`python -m sagelab.sandbox serve [--port N]`: what sagelab.sandbox.start() runs in the detached process."""

import sys

from sagelab.sandbox.process import main

sys.exit(main())
