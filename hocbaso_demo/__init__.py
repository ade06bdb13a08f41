# No models on purpose: the builder must not be callable over RPC (/web/dataset/call_kw).
# Callers import it from Python: ``from odoo.addons.hocbaso_demo import school``.
from . import school
