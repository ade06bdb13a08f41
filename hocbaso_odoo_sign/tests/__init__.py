from . import test_signing
from . import test_backends
from . import test_hostile_uploads
from . import test_send_back
from . import test_without_personal_id
from . import test_readiness
from . import test_waiting_for_me
from . import test_waiting_for_me_tour
from . import test_verify_wizard
from . import test_sign_batch
from . import test_sign_batch_provider
from . import test_verification_cache
from . import test_agent_tour
from . import test_timestamps

