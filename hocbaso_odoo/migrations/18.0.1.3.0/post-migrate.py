"""18.0.1.3.0 gives subjects their periods a year (the number of TX columns of the score
entry). The seed file is noupdate, so an upgrade does not load it over the existing subjects:
the values are copied here from that file, only where a subject has none yet."""

import logging
import os

from lxml import etree

_logger = logging.getLogger(__name__)

DATA_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "data",
                         "hocbaso_subject_periods_data.xml")


def migrate(cr, version):
    tree = etree.parse(DATA_FILE)
    filled = 0
    for record in tree.iterfind(".//record"):
        periods = int(record.findtext("field[@name='periods_per_year']"))
        cr.execute("""
            UPDATE hocbaso_subject SET periods_per_year = %s
             WHERE id = (SELECT res_id FROM ir_model_data
                          WHERE module = 'hocbaso_odoo' AND name = %s AND model = 'hocbaso.subject')
               AND COALESCE(periods_per_year, 0) = 0""", [periods, record.get("id")])
        filled += cr.rowcount
    _logger.info("periods a year given to %s subjects", filled)
