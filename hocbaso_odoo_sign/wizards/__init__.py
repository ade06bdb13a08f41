from . import hocbaso_sign_wizard
from . import hocbaso_sign_wizard_batch
from . import hocbaso_verify_wizard
from . import hocbaso_revoke_signed
