/** @odoo-module **/
/* A subject teacher logs in, lands on what waits for her signature and signs it all
 * with one password. Selectors avoid labels: the tour runs in Vietnamese and in English. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hocbaso_waiting_for_me", {
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
            trigger: ".modal div[name=secret] input",
            run: "edit 1234",
        },
        {
            trigger: ".modal footer button[name=action_sign]",
            run: "click",
        },
        {
            content: "the results: every record signed",
            trigger: ".modal div[name=result_ids] .o_data_row td[name=status]:contains(Signed), .modal div[name=result_ids] .o_data_row td[name=status]:contains(Đã ký)",
        },
        {
            trigger: ".modal footer button.btn-secondary",
            run: "click",
        },
    ],
});
