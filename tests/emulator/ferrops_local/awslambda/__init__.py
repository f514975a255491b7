"""Lambda in the local AWS: each deployed function's own zip, run as Lambda runs a custom runtime.

- runtime.py: the Runtime API (2018-06-01) one function process polls for its events.
- environments.py: `FunctionSpec` (what the host needs of a function's configuration), one warm
  `FunctionProcess` per function, and `Functions`, the manager that keeps them (`FUNCTIONS`).
- workers.py: `invoke_sync` and `invoke_async`, the latter with Lambda's retries and
  on-failure destination record.
"""

from .environments import FUNCTIONS, FunctionProcess, Functions, FunctionSpec, LogSink, Result
from .workers import failure_record, invoke_async, invoke_sync

__all__ = ["FUNCTIONS", "FunctionProcess", "FunctionSpec", "Functions", "LogSink", "Result",
           "failure_record", "invoke_async", "invoke_sync"]
