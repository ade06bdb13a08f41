"""18.0.1.4.0 hangs signing reminders on the records waiting (one per person), no longer on
classes: the class reminders of earlier versions would break the activities menu (a class has
no activities of its own to list), so they go; the next "Send Reminders" sends the new ones."""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute("SELECT 1 FROM information_schema.columns "
               "WHERE table_name = 'mail_activity' AND column_name = 'hocbaso_step'")
    if not cr.fetchone():
        return
    cr.execute("DELETE FROM mail_activity WHERE res_model = 'hocbaso.class' "
               "AND hocbaso_step IS NOT NULL")
    _logger.info("removed %s signing reminders hung on classes", cr.rowcount)
