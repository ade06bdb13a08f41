# No models on purpose: the builders must not be callable over RPC (/web/dataset/call_kw).
# Callers import them from Python: ``from odoo.addons.hocbaso_demo import school`` (the demo
# school), ``district`` (the benchmark's schools); both use ``generator``.
from . import certificates, district, generator, school
