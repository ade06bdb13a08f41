"""The one door through which the workflow writes what users may not.

Signed records, their parts and the fields the system computes (the document, its hash,
the state, the version...) are refused to every caller, the Odoo administrator included.
The workflow's own code opens this door around its writes. The flag lives on the cursor
(``cr.cache``), which no RPC caller can reach: a context key or ``sudo()`` could be reached
through a public method that passes a caller's values on.
"""

from contextlib import contextmanager

_KEY = "hocbaso.workflow_writes"


@contextmanager
def workflow(env):
    """Let the code inside write system fields and sealed records (nesting is fine)."""
    cache = env.cr.cache
    cache[_KEY] = cache.get(_KEY, 0) + 1
    try:
        yield
    finally:
        cache[_KEY] -= 1


def in_workflow(env):
    return env.cr.cache.get(_KEY, 0) > 0
