from . import hocbaso_progress
from . import hocbaso_progress_pending
