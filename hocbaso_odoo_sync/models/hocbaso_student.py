"""Check a student's identity at the CSDL (lookup by personal ID)."""

import re
import unicodedata

from odoo import _, models
from odoo.exceptions import UserError

from hocbaso.errors import CsdlError

from odoo.addons.hocbaso_odoo.tools import lib_message


def _norm(text):
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text or "")).strip().casefold()


class HocbasoStudent(models.Model):
    _inherit = "hocbaso.student"

    def write(self, vals):
        res = super().write(vals)
        if vals.get("personal_id"):
            self._release_waiting_entries()
        return res

    def _release_waiting_entries(self):
        """The personal ID is there: the records that waited for it go to the CSDL at the
        next run of the sync job, under that ID."""
        waiting = self.env["hocbaso.sync.entry"].sudo().search([
            ("state", "=", "waiting_id"), ("record_id.student_id", "in", self.ids)])
        for student, entries in waiting.grouped(lambda e: e.record_id.student_id).items():
            entries.write({"state": "pending", "personal_id": student.personal_id})

    def _csdl_identity_check(self):
        """Compare this student with the CSDL: {found, name_ok, birth_ok, remote}."""
        self.ensure_one()
        Config = self.env["hocbaso.sync.config"]
        Config._check_admin()
        config = Config._for_company(self.company_id)
        if not config:
            raise UserError(_("Set up the CSDL connection of %(school)s first.",
                              school=self.company_id.name))
        if not self.personal_id:
            raise UserError(_("%(student)s has no personal ID to look up.", student=self.name))
        try:
            remote = config._csdl_client().lookup_student(self.personal_id)
        except CsdlError as err:
            raise UserError(lib_message(self.env, err)) from err
        if not remote:
            return {"found": False, "name_ok": False, "birth_ok": False, "remote": {}}
        ours, theirs = (self.birth_date or "").strip(), (remote.get("ngay_sinh") or "").strip()
        # a partial birth date here ("2013" or "2013-09") matches the full date there
        birth_ok = bool(ours) and (theirs == ours or theirs.startswith(ours + "-"))
        return {"found": True, "name_ok": _norm(remote.get("ho_va_ten")) == _norm(self.name),
                "birth_ok": birth_ok, "remote": remote}

    def action_check_csdl_identity(self):
        result = self._csdl_identity_check()
        remote = result["remote"]
        if not result["found"]:
            kind, message = "warning", _("The CSDL has no student with personal ID %(pid)s.",
                                         pid=self.personal_id)
        elif result["name_ok"] and result["birth_ok"]:
            kind, message = "success", _("Match: the CSDL knows %(pid)s as %(name)s, born "
                                         "%(birth)s.", pid=self.personal_id,
                                         name=remote.get("ho_va_ten"),
                                         birth=remote.get("ngay_sinh"))
        else:
            problems = []
            if not result["name_ok"]:
                problems.append(_("name here %(ours)s, at the CSDL %(theirs)s",
                                  ours=self.name, theirs=remote.get("ho_va_ten")))
            if not result["birth_ok"]:
                problems.append(_("birth date here %(ours)s, at the CSDL %(theirs)s",
                                  ours=self.birth_date or "-", theirs=remote.get("ngay_sinh")))
            kind, message = "danger", _("Mismatch for %(pid)s: %(problems)s.",
                                        pid=self.personal_id, problems="; ".join(problems))
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": _("Identity at the CSDL"), "message": message,
                           "type": kind, "sticky": kind != "success"}}
