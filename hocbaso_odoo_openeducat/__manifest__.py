{
    "name": "Học bạ số – OpenEduCat Bridge",
    "summary": "Create digital school records (học bạ số) from OpenEduCat students, "
    "batches, faculties and exam marks",
    "version": "18.0.1.0.0",
    "category": "Education",
    "author": "Học bạ số for Odoo",
    "website": "https://example.invalid/hocbaso-odoo",
    "license": "LGPL-3",
    "depends": ["hocbaso_odoo", "openeducat_core", "openeducat_exam"],
    "data": [
        "security/ir.model.access.csv",
        "security/hocbaso_openeducat_rules.xml",
        "views/hocbaso_openeducat_subject_map_views.xml",
        "wizards/hocbaso_openeducat_import_views.xml",
        "views/openeducat_views.xml",
        "views/hocbaso_views.xml",
    ],
    "auto_install": True,
}
