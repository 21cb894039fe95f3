"""The ``dindlint`` console command: ``cli.main`` with start-up and exit tuned for short runs.

A pre-commit hook starts dindlint once per commit, so its fixed costs matter (issue 6, ADR 006):

- Imports create many objects that live until the end of the process; at Python's default
  threshold (700 allocations) the garbage collector scans them over and over while the modules
  load. The collector is off before ``cli`` is imported, as it is within a run
  (``dindlint.parallel.collector_off``: a run makes next to no cyclic garbage).
- After the output is flushed, the process ends with ``os._exit``: tearing down the interpreter
  (freeing every module and object one by one) took about 10 ms of a 100 ms run and does nothing
  a finished run needs — files are written and closed, worker pools joined (mypy ends the same
  way). Under a profiler or coverage, which write their data at the normal exit, it exits
  normally; so does ``cli.main`` itself, for tests and for ``CliRunner``.
"""

from __future__ import annotations

import gc
import os
import sys


def run() -> None:
    gc.disable()  # as a run does (dindlint.parallel.collector_off), for the imports too
    from dindlint.cli import main

    try:
        main()
        code: object = 0
    except SystemExit as leaving:
        code = leaving.code
    if code is not None and not isinstance(code, int):
        if sys.stderr is not None:
            print(code, file=sys.stderr)  # what sys.exit("message") would have printed
        code = 1
    if sys.getprofile() or sys.gettrace() or "coverage" in sys.modules:
        sys.exit(code)  # a profiler or coverage writes its data at the normal exit
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed: nothing to flush
            continue
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went away (`dindlint check | head`): still done
            pass
        except (OSError, ValueError):
            code = code or 2  # output that could not be written is a failure
    os._exit(code or 0)


if __name__ == "__main__":
    run()
