# Builds the demo school inside `odoo-bin shell` (bin/demo pipes this file in; `env` is given).
# Idempotent: does nothing when the demo school exists.
import os

DEMO_CODE = "01001999"

if env["res.company"].search([("hocbaso_school_code", "=", DEMO_CODE)]):  # noqa: F821
    print("The demo school exists already.")
else:
    # A plain import, not a model: the builder is not callable over RPC. The repository is on
    # the addons path, so the hocbaso_demo addon need not be installed.
    from odoo.addons.hocbaso_demo import school

    school.activate_languages(env)  # noqa: F821
    result = school.build(env, code=DEMO_CODE)  # noqa: F821
    pki_dir = os.environ.get("HOCBASO_DEMO_DIR", "/tmp/hocbaso-demo") + "/pki"
    if "hocbaso.signing.certificate" in env:  # noqa: F821 (signing addon installed)
        tsa_port = os.environ.get("HOCBASO_TSA_PORT")
        school.sign_demo(env, result, pki_dir,  # noqa: F821
                         tsa_port=int(tsa_port) if tsa_port else None)
    csdl_url = os.environ.get("HOCBASO_CSDL_URL")
    if csdl_url and "hocbaso.sync.config" in env:  # noqa: F821
        env["hocbaso.sync.config"].create({  # noqa: F821
            "company_id": result["company"].id, "endpoint_url": csdl_url,
            "client_id": "demo-school", "client_secret": "demo-secret",
            "school_code": DEMO_CODE, "mode": "demo",
        })
    signing_url = os.environ.get("HOCBASO_SIGNING_URL")
    if signing_url and "hocbaso.signing.provider" in env:  # noqa: F821
        # the reference SmartCA stand-in's default account (hocbaso.signing.standins.smartca)
        env["hocbaso.signing.provider"].create({  # noqa: F821
            "name": "VNPT SmartCA (demo)", "company_id": result["company"].id,
            "kind": "smartca", "service_url": signing_url,
            "client_id": "demo-sp", "client_secret": "demo-sp-password",
        })
    # The demo parent has two children, one in primary (TT27) and one in lower secondary (TT22),
    # each with an issued record, so the portal shows something on first login.
    parent = result["users"].get("phuhuynh")
    issued = result["records"].filtered(lambda r: r.state == "issued")
    children = env["hocbaso.student"]  # noqa: F821
    for circular in ("TT27", "TT22"):
        children |= issued.filtered(lambda r: r.circular == circular)[:1].student_id
    if parent and children:
        children.write({"guardian_user_ids": [(4, parent.id)]})
    # The database's first company is what the public verify page names before a lookup: in
    # the demo it stands for the Sở hosting the schools, not "My Company".
    env.ref("base.main_company").write({  # noqa: F821
        "name": "Sở GDĐT Hà Nội (demo)", "logo": school.emblem((183, 28, 28))})
    # Staff work in the demo school by default, admin sees it too.
    admin = env.ref("base.user_admin")  # noqa: F821
    admin.write({"company_ids": [(4, result["company"].id)], "company_id": result["company"].id,
                 "groups_id": [(4, env.ref("hocbaso_odoo.group_school_admin").id)]})  # noqa: F821
    states = {}
    for record in result["records"]:
        states[record.state] = states.get(record.state, 0) + 1
    print("Demo school %s: %d students, records by state %s"
          % (result["company"].name, len(result["records"]), states))
env.cr.commit()  # noqa: F821
