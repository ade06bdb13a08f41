/** @odoo-module **/
/* The activities menu: the entry of the signing reminders ("Chờ tôi ký") opens the action the
 * server gives with it (res.users._get_activity_groups: the records still waiting for the
 * user), instead of the records the reminders hang on. */

import { ActivityMenu } from "@mail/core/web/activity_menu";
import { patch } from "@web/core/utils/patch";

patch(ActivityMenu.prototype, {
    openActivityGroup(group, filter = "all") {
        if (group.hocbaso_action) {
            this.dropdown.close();
            return this.action.doAction(group.hocbaso_action, { clearBreadcrumbs: true });
        }
        return super.openActivityGroup(group, filter);
    },
});
