/** @odoo-module **/
/* The homeroom teacher locks her whole class's results when the marks are in: from the app's
 * menu to her class, one button, then what was locked and what was skipped and why.
 * test_class_lock_tour.py runs it in Vietnamese and in English. */

import { registry } from "@web/core/registry";
import { englishOnlyStep } from "./tour_language";

const TEXTS = {
    vi: { mine: "Lớp chủ nhiệm của tôi", lock: "Khóa kết quả cả lớp", summary: "Đã khóa 1/2 học bạ", skipped: "chưa đầy đủ" },
    en: { mine: "My Homeroom Classes", lock: "Lock the Class's Results", summary: "1 of 2 records locked", skipped: "incomplete" },
};
// data keeps its language in an English screen
const NAMES = ["Nguyễn", "Trần", "Lê", "Phạm"];

function lockSteps(texts, english) {
    const check = (trigger) => (english ? [englishOnlyStep(trigger, NAMES)] : []);
    return [
        {
            content: "her class, from the School menu",
            trigger: ".o_menu_sections button[data-menu-xmlid='hocbaso_odoo.menu_hocbaso_school']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='hocbaso_odoo.menu_hocbaso_class']",
            run: "click",
        },
        {
            content: "she starts on her own classes: 6A2 is another teacher's",
            trigger: `.o_searchview .o_facet_value:contains(${texts.mine})`,
        },
        {
            trigger: ".o_list_view:has(.o_data_row:contains(6A1)):not(:has(.o_data_row:contains(6A2)))",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(6A1) td.o_data_cell",
            run: "click",
        },
        {
            content: "one button locks the class",
            trigger: `.o_form_view .o_statusbar_buttons button[name=action_lock_class]:contains(${texts.lock})`,
            run: "click",
        },
        {
            content: "the records it will lock, then lock",
            trigger: ".modal .o_field_many2many[name=record_ids] .o_data_row",
        },
        {
            trigger: ".modal footer button[name=action_lock]",
            run: "click",
        },
        {
            content: "what was locked, in words",
            trigger: `.modal .o_field_widget[name=summary]:contains(${texts.summary})`,
        },
        {
            content: "the record not ready is skipped, with the reason",
            trigger: `.modal .o_field_one2many[name=result_ids] .o_data_row td[name=message]:contains(${texts.skipped})`,
        },
        ...check(".modal .o_field_one2many[name=result_ids] .o_data_row"),
        {
            trigger: ".modal footer button.btn-secondary",
            run: "click",
        },
        {
            content: "back on her class",
            trigger: "body:not(:has(.modal))",
        },
    ];
}

registry.category("web_tour.tours").add("hocbaso_class_lock", {
    steps: () => lockSteps(TEXTS.vi, false),
});

registry.category("web_tour.tours").add("hocbaso_class_lock_en", {
    steps: () => lockSteps(TEXTS.en, true),
});
