"""The sandbox child's entry point: `python -m indexing.extract.child MEMORY_MB CPU_SECONDS OUTPUT_BYTES`.

Started only by `indexing.extract.sandbox.run_in_child`, which writes the target and the input to its
stdin and reads the answer from its stdout.
"""

import sys

from indexing.extract.sandbox import serve

if __name__ == "__main__":
    serve(sys.argv[1:])
