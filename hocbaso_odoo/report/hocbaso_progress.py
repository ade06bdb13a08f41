"""Progress of a school year, per record, for the pivot and graph the principal and a district
read: how many records are signed, issued (and, with the sync addon, received by the CSDL), as
percentages per class, grade, school and year, and the records of students without a personal
ID counted apart (they wait for it before the CSDL takes them)."""

from odoo import api, fields, models, tools

from ..models.hocbaso_record import STATES, expand_states


class HocbasoProgress(models.Model):
    _name = "hocbaso.progress"
    _description = "School Records Progress"
    _auto = False
    _rec_name = "record_id"
    _order = "school_year_id desc, class_id"
    _expand_states = expand_states

    record_id = fields.Many2one("hocbaso.record", string="Record", readonly=True)
    company_id = fields.Many2one("res.company", string="School", readonly=True)
    school_year_id = fields.Many2one("hocbaso.school.year", string="School Year", readonly=True)
    grade_id = fields.Many2one("hocbaso.grade", string="Grade", readonly=True)
    class_id = fields.Many2one("hocbaso.class", string="Class", readonly=True)
    state = fields.Selection(STATES, string="Step", readonly=True, group_expand="_expand_states")
    record_count = fields.Integer(string="Records", readonly=True)
    # 100 or 0 per record: their average over a group is the group's percentage
    signed_pct = fields.Float(string="Signed (%)", aggregator="avg", readonly=True,
                              help="Share of the records signed by every subject teacher, the "
                                   "homeroom teacher and the school leadership.")
    issued_pct = fields.Float(string="Issued (%)", aggregator="avg", readonly=True)
    without_personal_id_count = fields.Integer(
        string="Without Personal ID", readonly=True,
        help="Records of students without a personal ID (foreign students, or students whose "
             "parents have not obtained it yet): they go to the CSDL once the ID is entered.")

    def _select(self):
        """Columns of the view; the sync addon adds what the CSDL received."""
        signed = "('leader_signed', 'issued')"
        return f"""
            r.id AS id, r.id AS record_id, r.company_id, r.school_year_id, r.grade_id,
            r.class_id, r.state, 1 AS record_count,
            CASE WHEN r.state IN {signed} THEN 100.0 ELSE 0.0 END AS signed_pct,
            CASE WHEN r.state = 'issued' THEN 100.0 ELSE 0.0 END AS issued_pct,
            CASE WHEN s.personal_id IS NULL THEN 1 ELSE 0 END AS without_personal_id_count
        """

    def _from(self):
        return """
            hocbaso_record r JOIN hocbaso_student s ON s.id = r.student_id
        """

    def _where(self):
        # the live version of each record (a superseded or revoked one is not progress), of
        # the grades the school rolled out that year (hocbaso.rollout; none listed: all)
        return """r.active AND r.state NOT IN ('revoked', 'superseded')
            AND (NOT EXISTS (SELECT 1 FROM hocbaso_rollout ro
                              WHERE ro.company_id = r.company_id
                                AND ro.school_year_id = r.school_year_id)
                 OR EXISTS (SELECT 1 FROM hocbaso_rollout ro
                              JOIN hocbaso_grade_hocbaso_rollout_rel rel
                                ON rel.hocbaso_rollout_id = ro.id
                             WHERE ro.company_id = r.company_id
                               AND ro.school_year_id = r.school_year_id
                               AND rel.hocbaso_grade_id = r.grade_id))"""

    @api.model
    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(f"""CREATE VIEW {self._table} AS (
            SELECT {self._select()} FROM {self._from()} WHERE {self._where()})""")
