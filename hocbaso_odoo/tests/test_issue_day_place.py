"""The form says the day and place of issue the printed form says, on the school's clock."""

import datetime as dt

from freezegun import freeze_time

from odoo.tests import tagged

from ..models.hocbaso_record_package import STANDALONE_TEMPLATE
from .common import HocbasoCase
from .test_transfer import NOW, TestPki, make_issued


@tagged("post_install", "-at_install")
class TestIssueDayAndPlace(HocbasoCase):

    def test_issued_late_evening_utc_is_the_next_day_everywhere(self):
        # 23:30 UTC is 06:30 the next morning in Vietnam; the demo runs with no time zone
        moment = (NOW - dt.timedelta(days=2)).replace(hour=23, minute=30, second=0)
        local_day = (moment + dt.timedelta(hours=7)).date()
        self.env.user.tz = False
        pki = TestPki()
        with freeze_time(moment.replace(tzinfo=None)):
            make_issued(self, self.record, pki)
        record = self.record
        record.invalidate_recordset()
        self.assertEqual(record.issue_date, local_day, "the locking day the XML states")
        self.assertEqual(record._report_issuance()["issue_date"], local_day)
        self.assertEqual(record.issued_on, local_day, "the form says what the print says")
        html = str(self.env["ir.qweb"]._render(STANDALONE_TEMPLATE, {"docs": record}))
        self.assertIn(f"Hà Nội, ngày {local_day.day:02d} tháng {local_day.month:02d} "
                      f"năm {local_day.year}", html)
        arch = self.env["hocbaso.record"].get_view(view_type="form")["arch"]
        self.assertIn('name="issued_on"', arch)
        self.assertNotIn('name="issue_date"', arch, "one date of issue on the form")

    def test_form_place_is_the_printed_place(self):
        # the records were made by an administrator whose current company is not the school
        self.assertNotEqual(self.env.company, self.record.company_id)
        self.assertEqual(self.record.issue_place, "Hà Nội")
        self.assertEqual(self.record._report_issuance()["place"], self.record.issue_place)
        # a school that names only its province: the province, on the form as in print
        self.other_school.hocbaso_province_name = "Đà Nẵng"
        record = self.env["hocbaso.record"].new({"company_id": self.other_school.id})
        self.assertEqual(record.issue_place, "Đà Nẵng")
        self.assertEqual(record._report_date_line(), "Đà Nẵng, ngày ... tháng ... năm ......")
