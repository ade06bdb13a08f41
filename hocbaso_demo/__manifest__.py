{
    "name": "Học bạ số: demo school builder",
    "summary": "Builds deterministic demo and benchmark schools for bin/demo, tests and "
    "bench/ (plain Python, no models)",
    "version": "18.0.1.0.0",
    "category": "Education",
    "author": "Học bạ số for Odoo",
    "website": "https://example.invalid/hocbaso-odoo",
    "license": "LGPL-3",
    "depends": ["hocbaso_odoo_sign"],
}
