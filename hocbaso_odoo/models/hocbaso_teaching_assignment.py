from odoo import api, fields, models, _
from odoo.exceptions import ValidationError


class HocbasoTeachingAssignment(models.Model):
    """Who teaches which subject in which class: decides what a subject teacher may edit."""

    _name = "hocbaso.teaching.assignment"
    _description = "Teaching Assignment"
    _order = "class_id, subject_id"
    _check_company_auto = True

    class_id = fields.Many2one("hocbaso.class", required=True, ondelete="cascade",
                               check_company=True)
    company_id = fields.Many2one(related="class_id.company_id", store=True)
    subject_id = fields.Many2one("hocbaso.subject", required=True)
    # indexed: the subject teachers' record rules look their classes up by teacher
    teacher_id = fields.Many2one(
        "res.users", string="Subject Teacher", required=True, check_company=True, index=True,
        domain=lambda self: self.env["res.users"]._hocbaso_staff_domain(
            "hocbaso_odoo.group_subject_teacher"))

    _sql_constraints = [
        ("class_subject_unique", "UNIQUE(class_id, subject_id)",
         "This subject already has a teacher in this class."),
    ]

    @api.constrains("teacher_id", "class_id")
    def _check_teacher(self):
        for assignment in self:
            assignment.teacher_id._hocbaso_check_staff(
                "hocbaso_odoo.group_subject_teacher", assignment.class_id.company_id,
                _("the teacher of %(subject)s in %(klass)s", subject=assignment.subject_id.name,
                  klass=assignment.class_id.name))

    @api.constrains("subject_id", "class_id")
    def _check_subject_level(self):
        for assignment in self:
            if assignment.subject_id.level_id != assignment.class_id.level_id:
                raise ValidationError(
                    _("Subject %(subject)s does not belong to the level of class %(klass)s.",
                      subject=assignment.subject_id.name, klass=assignment.class_id.name)
                )
