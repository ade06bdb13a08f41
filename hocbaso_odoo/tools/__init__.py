from .lib_errors import lib_message, lib_text, raise_as_user_error, raise_as_validation_error
from .download import download_action
from .progress import notify_progress
from .sealing import in_workflow, workflow
