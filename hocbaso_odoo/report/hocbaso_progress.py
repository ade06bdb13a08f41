"""Progress of a school year, per record, for the pivot and graph the principal and a district
read: how many records are signed, issued (and, with the sync addon, received by the CSDL), as
percentages per class, grade, school and year, and the records of students without a personal
ID counted apart (they wait for it before the CSDL takes them)."""

from lxml import etree

from odoo import api, fields, models, tools

from ..models.hocbaso_record import LIVE_STATES, STATES, expand_states

STATE_LABELS = dict(STATES)


def step_count_field(state):
    """Name of the measure counting the records at workflow step ``state``."""
    return f"{state}_count"


class HocbasoProgress(models.Model):
    _name = "hocbaso.progress"
    _inherit = ["hocbaso.selection.order.mixin"]
    _description = "School Records Progress"
    _auto = False
    _rec_name = "record_id"
    _order = "school_year_id desc, class_id"
    _expand_states = expand_states
    _selection_order = ("state",)

    record_id = fields.Many2one("hocbaso.record", readonly=True)
    company_id = fields.Many2one("res.company", string="School", readonly=True)
    school_year_id = fields.Many2one("hocbaso.school.year", readonly=True)
    grade_id = fields.Many2one("hocbaso.grade", readonly=True)
    class_id = fields.Many2one("hocbaso.class", readonly=True)
    state = fields.Selection(STATES, string="Step", readonly=True, group_expand="_expand_states")
    record_count = fields.Integer(string="Records", readonly=True)
    # 100 or 0 per record: their average over a group is the group's percentage
    signed_pct = fields.Float(string="Signed (%)", aggregator="avg", readonly=True, digits=(16, 1),
                              help="Share of the records signed by every subject teacher, the "
                                   "homeroom teacher and the school leadership.")
    issued_pct = fields.Float(string="Issued (%)", aggregator="avg", readonly=True, digits=(16, 1))
    without_personal_id_count = fields.Integer(
        string="Without Personal ID", readonly=True,
        help="Records of students without a personal ID (foreign students, or students whose "
             "parents have not obtained it yet): they go to the CSDL once the ID is entered.")

    # one measure per live step, in workflow order, from the record's own state selection: the
    # matrix class x step the pivot and the Excel export show (1 or 0 per record)
    for _state in LIVE_STATES:
        locals()[step_count_field(_state)] = fields.Integer(
            string=STATE_LABELS[_state], readonly=True)
    del _state

    def _select(self):
        """Columns of the view; the sync addon adds what the CSDL received."""
        signed = "('leader_signed', 'issued')"
        steps = "".join(
            f"CASE WHEN r.state = '{state}' THEN 1 ELSE 0 END AS {step_count_field(state)}, "
            for state in LIVE_STATES)
        return f"""
            r.id AS id, r.id AS record_id, r.company_id, r.school_year_id, r.grade_id,
            r.class_id, r.state, 1 AS record_count, {steps}
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

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False,
                   lazy=True):
        """Grouped by step and something else at once (the graph's bars stacked by step, the
        pivot's cells): every step met appears in every group, in workflow order (the
        graph's legend follows the order the steps first appear in)."""
        result = super().read_group(domain, fields, groupby, offset=offset, limit=limit,
                                    orderby=orderby, lazy=lazy)
        groupby = [groupby] if isinstance(groupby, str) else list(groupby or [])
        if lazy or limit or offset or "state" not in groupby or len(groupby) < 2 or any(
                ":" in name or "." in name for name in groupby):
            return result
        return self._fill_steps(domain, groupby, result)

    @api.model
    def _fill_steps(self, domain, groupby, result):
        others = [name for name in groupby if name != "state"]
        met = {row["state"] for row in result}
        states = [state for state, _label in STATES if state in met]
        rows = {}
        for row in result:
            key = tuple(self._group_key(row[name]) for name in others)
            rows.setdefault(key, {})[row["state"]] = row
        filled = []
        for key, by_state in rows.items():
            template = next(iter(by_state.values()))
            for state in states:
                if state in by_state:
                    filled.append(by_state[state])
                    continue
                empty = {name: (0 if isinstance(value, (int, float)) and name in self._fields
                                and self._fields[name].aggregator == "sum" else False)
                         for name, value in template.items()}
                empty.update({name: template[name] for name in others}, state=state,
                             __count=0, __domain=[*domain, *(
                                 (name, "=", value) for name, value in zip(others, key)),
                                 ("state", "=", state)])
                filled.append(empty)
        return filled

    @staticmethod
    def _group_key(value):
        return value[0] if isinstance(value, tuple) else value

    # --- the matrix ---------------------------------------------------------------------------
    @api.model
    def _step_count_fields(self):
        return [step_count_field(state) for state in LIVE_STATES]

    @api.model
    def _rate_fields(self):
        """Percentages of the figures district reports use; the sync addon adds the CSDL's."""
        return ["signed_pct", "issued_pct"]

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        """The matrix pivot gets one measure per workflow step, before the percentages, from
        the record's state selection (so a new step needs no view change)."""
        arch, view = super()._get_view(view_id, view_type, **options)
        matrix = self.env.ref("hocbaso_odoo.hocbaso_progress_view_pivot_matrix",
                              raise_if_not_found=False)
        if view_type == "pivot" and matrix and view == matrix:
            [total] = arch.xpath("//field[@name='record_count']")
            for name in reversed(self._step_count_fields()):
                total.addnext(etree.Element("field", name=name, type="measure"))
        return arch, view

    @api.model
    def _progress_figures(self, domain, groupby):
        """[{groupby field: record, 'record_count': n, '<step>_count': n, '<rate>': %}] per
        group of ``groupby`` (e.g. school, year, grade, class): the figures of the matrix,
        percentages rounded to one decimal as districts report them ("97.6% signed")."""
        counts = ["record_count", *self._step_count_fields()]
        rates = self._rate_fields()
        aggregates = [f"{name}:sum" for name in counts] + [f"{name}:avg" for name in rates]
        rows = []
        for values in self._read_group(domain, groupby, aggregates, order=", ".join(groupby)):
            row = dict(zip(groupby, values[:len(groupby)]))
            row.update(zip(counts, values[len(groupby):len(groupby) + len(counts)]))
            row.update((name, round(value or 0.0, 1)) for name, value in zip(
                rates, values[len(groupby) + len(counts):]))
            rows.append(row)
        return rows
