from . import hocbaso_sync_config
from . import hocbaso_sync_entry
from . import hocbaso_sync_entry_send
from . import hocbaso_record
from . import hocbaso_student
from . import ir_attachment
