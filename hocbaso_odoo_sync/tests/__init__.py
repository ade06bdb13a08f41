from . import test_sync
from . import test_sync_concurrency
