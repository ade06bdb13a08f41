/** @odoo-module **/
/* The principal opens Progress (Tiến độ): classes against the workflow steps and the shares
 * signed; then who has not signed, and one click reminds them. Run in Vietnamese. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hocbaso_progress_reminders", {
    steps: () => [
        {
            content: "the matrix: a column per workflow step, in the reader's language",
            trigger: ".o_pivot .o_pivot_measure_row:contains(Đã phát hành)",
        },
        {
            content: "the share signed, per class",
            trigger: ".o_pivot .o_pivot_measure_row:contains(Đã ký (%))",
        },
        {
            content: "each class is a row, under its grade and school",
            trigger: ".o_pivot th:contains(7A1 (2024-2025))",
        },
        {
            content: "who has not signed",
            trigger: ".o_menu_sections button[data-menu-xmlid='hocbaso_odoo.menu_hocbaso_records']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='hocbaso_odoo.menu_hocbaso_progress_pending']",
            run: "click",
        },
        {
            content: "the mathematics teacher of 7A1 is behind",
            trigger: ".o_list_view .o_data_row:contains(7A1):contains(Toán):contains(gvbm_math)",
        },
        {
            trigger: ".o_control_panel button[name=action_send_reminders]",
            run: "click",
        },
        {
            content: "how many reminders went out",
            trigger: ".o_notification:contains(Đã gửi 2 lời nhắc)",
        },
    ],
});
