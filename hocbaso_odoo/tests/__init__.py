from . import test_bad_input
from . import test_record_workflow
from . import test_access_rights
from . import test_portal
from . import test_transfer
from . import test_access_log
from . import test_portal_browser
from . import test_documents
