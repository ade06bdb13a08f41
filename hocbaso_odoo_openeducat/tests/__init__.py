from . import test_openeducat_import
