from . import test_openeducat_import
from . import test_openeducat_signing
