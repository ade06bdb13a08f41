"""What waits for me: the records where my step is next, computed on the server from my roles,
my classes and subjects, and the records' state (the list a teacher lands on)."""

from odoo import api, fields, models, _
from odoo.exceptions import UserError
from odoo.osv import expression

from hocbaso.xmlprofile import (
    ROLE_HOMEROOM_TEACHER,
    ROLE_ISSUANCE,
    ROLE_LEADER,
    ROLE_SUBJECT_TEACHER,
)

# the menu entry whose label carries the count of what waits for the user
WAITING_MENU = "hocbaso_odoo.menu_hocbaso_record_waiting"


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    waiting_for_me = fields.Boolean(
        string="Waiting for Me", compute="_compute_waiting_for_me",
        search="_search_waiting_for_me",
        help="My signature is the next one this record needs.")

    @api.model
    def _waiting_domains(self, user):
        """{signing role: domain of the records waiting for ``user`` in that role}, for the
        roles ``user`` holds."""
        domains = {}
        if user.has_group("hocbaso_odoo.group_subject_teacher"):
            domains[ROLE_SUBJECT_TEACHER] = [
                ("state", "=", "locked"),
                ("line_ids", "any", [("teacher_id", "=", user.id), ("gvbm_signed", "=", False)])]
        if user.has_group("hocbaso_odoo.group_homeroom_teacher"):
            mine = ["|", ("homeroom_teacher_id", "=", user.id), "&",
                    ("homeroom_teacher_id", "=", False),
                    ("class_id.homeroom_teacher_id", "=", user.id)]
            # her class once every subject is signed, or once only her own subjects are left
            # (she signs them together with the homeroom teacher's signature)
            only_mine_left = [
                ("state", "=", "locked"),
                ("line_ids", "any", [("teacher_id", "=", user.id), ("gvbm_signed", "=", False)]),
                ("line_ids", "not any", [("teacher_id", "!=", user.id),
                                         ("gvbm_signed", "=", False)])]
            domains[ROLE_HOMEROOM_TEACHER] = expression.AND([mine, expression.OR([
                [("state", "=", "gvbm_signed")], only_mine_left])])
        if user.has_group("hocbaso_odoo.group_leadership"):
            domains[ROLE_LEADER] = [("state", "=", "gvcn_signed"), "|",
                                    ("leader_id", "=", False), ("leader_id", "=", user.id)]
        if user.has_group("hocbaso_odoo.group_issuer"):
            domains[ROLE_ISSUANCE] = [("state", "=", "leader_signed")]
        return domains

    @api.model
    def _waiting_domain(self, user, role=None):
        domains = self._waiting_domains(user)
        if role:
            return domains.get(role, expression.FALSE_DOMAIN)
        return expression.OR(list(domains.values())) if domains else expression.FALSE_DOMAIN

    @api.depends_context("uid")
    def _compute_waiting_for_me(self):
        mine = self.filtered_domain(self._waiting_domain(self.env.user))
        for record in self:
            record.waiting_for_me = record in mine

    def _search_waiting_for_me(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(_("Search what waits for you with a yes or no."))
        domain = self._waiting_domain(self.env.user)
        return domain if (operator == "=") == value else ["!", *expression.normalize_domain(
            domain)]

    @api.model
    def hocbaso_menu_counters(self):
        """{menu xmlid: count} that the web client shows beside menu entries: "Waiting for Me
        (12)". One count of the records waiting for the user in any of her roles (a record
        she signs in two roles counts once, as the list shows it), read with her record rules
        and the schools allowed in her context."""
        if not self.has_access("read"):
            return {}
        return {WAITING_MENU: self.search_count(self._waiting_domain(self.env.user))}


class HocbasoClass(models.Model):
    _inherit = "hocbaso.class"

    waiting_for_me_count = fields.Integer(
        string="Records Waiting for Me", compute="_compute_waiting_for_me_count",
        help="Records of this class whose next signature is mine (the records of Waiting for "
             "Me in this class).")

    # the steps move with the records' state and their subjects' signatures
    @api.depends("record_ids.state", "record_ids.line_ids.gvbm_signed")
    @api.depends_context("uid")
    def _compute_waiting_for_me_count(self):
        # the records' own fact (_waiting_domain), read with the user's record rules: a class
        # that is not hers counts what she signs there (her subject), nothing else
        Record = self.env["hocbaso.record"]
        counts = {}
        if self._origin.ids:
            counts = dict(Record._read_group(
                expression.AND([[("class_id", "in", self._origin.ids)],
                                Record._waiting_domain(self.env.user)]),
                ["class_id"], ["__count"]))
        for klass in self:
            klass.waiting_for_me_count = counts.get(klass._origin, 0)
