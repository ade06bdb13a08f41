from . import hocbaso_openeducat_import
