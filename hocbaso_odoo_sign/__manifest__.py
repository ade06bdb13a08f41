{
    "name": "Học bạ số – Signing",
    "summary": "Sign digital school records with tokens, HSMs, PKCS#12 files and remote signing "
    "services; verify signatures",
    "version": "18.0.1.0.0",
    "category": "Education",
    "author": "Học bạ số for Odoo",
    "website": "https://example.invalid/hocbaso-odoo",
    "license": "LGPL-3",
    "depends": ["hocbaso_odoo"],
    "external_dependencies": {"python": ["hocbaso", "signxml", "cryptography"]},
    "assets": {
        "web.assets_backend": ["hocbaso_odoo_sign/static/src/**/*"],
        "web.assets_tests": ["hocbaso_odoo_sign/static/tests/tours/**/*"],
    },
    "data": [
        "security/ir.model.access.csv",
        "security/hocbaso_sign_rules.xml",
        "wizards/hocbaso_sign_wizard_views.xml",
        "wizards/hocbaso_verify_wizard_views.xml",
        "wizards/hocbaso_revoke_signed_views.xml",
        "views/hocbaso_trusted_ca_views.xml",
        "views/hocbaso_signing_certificate_views.xml",
        "views/hocbaso_record_views.xml",
        "views/hocbaso_class_views.xml",
        "views/hocbaso_sign_menus.xml",
        "views/res_company_views.xml",
    ],
}
