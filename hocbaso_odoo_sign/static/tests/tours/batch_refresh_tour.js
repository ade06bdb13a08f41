/** @odoo-module **/
/* A subject teacher signs her class with her remote signing service: the wizard waits for the
 * approval on her phone and says it updates by itself; once the phone approves (the test plays
 * it), the result appears without a click on "Check Now". She works in Vietnamese. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hocbaso_batch_refresh", {
    steps: () => [
        {
            content: "after logging in she lands on what waits for her, by class",
            trigger: ".o_list_view .o_group_header:contains(6A1)",
            run: "click",
        },
        {
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "sign the selection",
            trigger: ".o_control_panel_actions button[name=action_open_sign_wizard]",
            run: "click",
        },
        {
            content: "her certificate is at the signing service: one approval on the phone",
            trigger: ".modal footer button[name=action_sign]:contains(Ký)",
            run: "click",
        },
        {
            content: "the wizard waits for the phone and says it updates by itself",
            trigger: ".modal .o_hocbaso_batch_live:contains(tự cập nhật)",
        },
        {
            content: "approved on the phone: the result shows without pressing Kiểm tra ngay",
            trigger: ".modal div[name=result_ids] td:contains(Đã ký)",
            timeout: 60000,
        },
        {
            trigger: ".modal:not(:has(button[name=action_refresh_batch]))",
        },
        {
            trigger: ".modal footer button:contains(Đóng)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
