/** @odoo-module **/
/* The principal reads in the menu how many records wait for her signature ("Chờ tôi ký (2)"),
 * opens them, sends one back for correction, and the menu's count goes down to 1 without a
 * reload. test_menu_counters.py starts it in Vietnamese and in English: only the expected
 * label differs. */

import { registry } from "@web/core/registry";

const RECORDS = ".o_menu_sections button[data-menu-xmlid='hocbaso_odoo.menu_hocbaso_records']";
const WAITING = ".dropdown-item[data-menu-xmlid='hocbaso_odoo.menu_hocbaso_record_waiting']";

function waitingCountSteps(label) {
    return [
        {
            content: "the records menu",
            trigger: RECORDS,
            run: "click",
        },
        {
            content: `the entry says how many wait for her: ${label} (2)`,
            trigger: `${WAITING}:contains(${label} (2))`,
            run: "click",
        },
        {
            content: "the list shows as many",
            trigger: ".o_list_view .o_group_header:contains(6A1):contains((2))",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Nguyễn Văn An) td.o_data_cell",
            run: "click",
        },
        {
            content: "she sends the record back for correction",
            trigger: ".o_form_view .o_statusbar_buttons button.o_hocbaso_send_back",
            run: "click",
        },
        {
            trigger: ".modal div[name=reason] textarea",
            run: "edit Thiếu nhận xét của giáo viên chủ nhiệm",
        },
        {
            trigger: ".modal footer button[name=action_send_back]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_hocbaso_correction_open",
        },
        {
            content: "the count follows at once",
            trigger: RECORDS,
            run: "click",
        },
        {
            trigger: `${WAITING}:contains(${label} (1))`,
        },
    ];
}

registry.category("web_tour.tours").add("hocbaso_waiting_count_vi", {
    steps: () => waitingCountSteps("Chờ tôi ký"),
});

registry.category("web_tour.tours").add("hocbaso_waiting_count_en", {
    steps: () => waitingCountSteps("Waiting for Me"),
});
