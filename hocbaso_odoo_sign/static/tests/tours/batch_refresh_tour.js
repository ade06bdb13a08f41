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

/* "My Signing Batches": two batches wait; the first is approved while she reads the list, the
 * second while she looks at its form. */
registry.category("web_tour.tours").add("hocbaso_batch_list_refresh", {
    steps: () => [
        {
            content: "both batches wait for the phone",
            trigger: ".o_list_view:has(.o_data_row:eq(1) .badge:contains(Chờ duyệt))",
        },
        {
            content: "the older batch is approved: the list shows it signed by itself",
            trigger: ".o_list_view .o_data_row:eq(1) .badge:contains(Đã ký)",
            timeout: 60000,
        },
        {
            content: "the other one still waits: she opens it",
            trigger: ".o_list_view .o_data_row:eq(0):has(.badge:contains(Chờ duyệt)) td.o_data_cell",
            run: "click",
        },
        {
            content: "approved on the phone: the form shows it signed without a click",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Đã ký)",
            timeout: 60000,
        },
        {
            trigger: ".o_form_view:not(:has(.o_hocbaso_batch_live))",
        },
    ],
});
