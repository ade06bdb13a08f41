from . import hocbaso_trusted_ca
from . import hocbaso_signing_certificate
from . import hocbaso_record_signature
from . import hocbaso_record
from . import hocbaso_class
from . import hocbaso_record_send_back
from . import res_company
