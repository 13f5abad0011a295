"""The sandbox child's entry point.

    python -m indexing.extract.child MEMORY_MB CPU_SECONDS OUTPUT_BYTES
    python -m indexing.extract.child --many MEMORY_MB CPU_SECONDS OUTPUT_BYTES MAX_FILES

The first is started by `indexing.extract.sandbox.run_in_child` for one call (it writes the target and
the input to the child's stdin and reads the answer from its stdout); the second by
`indexing.extract.pool.ChildPool`, which sends it up to MAX_FILES requests over the same pipes.
"""

import sys

from indexing.extract.sandbox import serve, serve_many

if __name__ == "__main__":
    if sys.argv[1:2] == ["--many"]:
        serve_many(sys.argv[2:])
    else:
        serve(sys.argv[1:])
