from . import hocbaso_progress
