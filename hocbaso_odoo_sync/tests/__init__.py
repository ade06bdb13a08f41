from . import test_sync
from . import test_sync_concurrency
from . import test_sealed_probe
from . import test_without_personal_id
from . import test_rollout_sync
from . import test_languages
from . import test_sync_ltv
