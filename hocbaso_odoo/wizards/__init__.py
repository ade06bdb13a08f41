from . import hocbaso_record_revoke
from . import hocbaso_record_generate
from . import hocbaso_transfer_import
from . import hocbaso_record_export
from . import hocbaso_record_send_back
from . import hocbaso_extract_import
from . import hocbaso_progress_export
