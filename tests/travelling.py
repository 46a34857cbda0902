"""Run a Python module at a given moment, its clock ticking on from there:

    python tests/travelling.py 2027-07-01T09:03:10+00:00 -m celery -A perfcycle worker …

For a worker process started by a test session that travels in time
(``PERFCYCLE_TEST_TODAY``, tests/conftest.py): it must see the session's clock, or what
the session stores as due now is in its future."""

import datetime
import os
import runpy
import sys

import time_machine

if __name__ == "__main__":
    moment, flag, module, *arguments = sys.argv[1:]
    if flag != "-m":
        raise SystemExit("usage: travelling.py MOMENT -m MODULE [ARGUMENTS…]")
    sys.path[0] = os.getcwd()  # as ``python -m`` has it: not tests/ (its perfcycle package)
    time_machine.travel(datetime.datetime.fromisoformat(moment), tick=True).start()
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
