/** @odoo-module **/
/* The user menu of school staff: their preferences and log out, not Odoo.com's links
 * (documentation, support, "My Odoo.com account") nor web_tour's "Onboarding" switch, which
 * lead a teacher away from the school's records (P3.20). web and web_tour add them: the first
 * three when their module loads, the switch inside tour_service's start, hence the small
 * service below that starts after it. */

import { registry } from "@web/core/registry";

const userMenuItems = registry.category("user_menuitems");
export const REMOVED_USER_MENU_ITEMS = ["documentation", "support", "odoo_account"];
export const TOUR_SWITCH = "web_tour.tour_enabled";

for (const key of REMOVED_USER_MENU_ITEMS) {
    userMenuItems.remove(key);
}

export const hocbasoUserMenuService = {
    dependencies: ["tour_service"],
    start() {
        userMenuItems.remove(TOUR_SWITCH);
    },
};

registry.category("services").add("hocbaso_user_menu", hocbasoUserMenuService);
