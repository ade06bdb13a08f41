"""Progress notifications for long batches (export of a school, signing hundreds of records)."""

import threading


def notify_progress(env, title, done, total):
    """Tell the current user how far a batch is, now.

    Sent from a transaction of its own: a bus notification sent in the batch's transaction
    would only reach the browser when the whole batch commits, i.e. at the end. Under tests
    (Odoo's runner and pytest-odoo flag the thread) it stays in the test's transaction, which
    a second connection could not see and which is rolled back.
    """
    if "bus.bus" not in env:
        return
    payload = {
        "type": "info", "sticky": False, "title": title,
        # env._: a plain function has no self for _() to find the language from
        "message": env._("%(done)s of %(total)s records done.", done=done, total=total),
    }
    partner = env.user.partner_id
    if getattr(threading.current_thread(), "testing", False):
        env["bus.bus"]._sendone(partner, "simple_notification", payload)
        return
    with env.registry.cursor() as cr:
        env(cr=cr)["bus.bus"]._sendone(partner, "simple_notification", payload)
