"""Học bạ số: record format, rules, signing, verification and sync protocol, without Odoo.

The Odoo addons (hocbaso_odoo, hocbaso_odoo_sign, hocbaso_odoo_sync) stay thin around this
package; the command-line verifier and the benchmarks use it directly.
"""

__version__ = "18.0.1.0.0"
