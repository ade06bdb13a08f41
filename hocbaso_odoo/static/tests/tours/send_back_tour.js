/** @odoo-module **/
/* Correction before issuance, as the principal and the subject teacher do it in the web
 * client. The selectors avoid labels, so the same tours run in Vietnamese and in English. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hocbaso_send_back", {
    steps: () => [
        {
            content: "the principal opens the signed record and sends it back",
            trigger: ".o_form_view .o_statusbar_buttons button.o_hocbaso_send_back",
            run: "click",
        },
        {
            content: "choose the subject to correct",
            trigger: ".modal div[name=subject_ids] input",
            run: "click",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Toán), .o-autocomplete--dropdown-item a:contains(Mathematics)",
            run: "click",
        },
        {
            content: "say why",
            trigger: ".modal div[name=reason] textarea",
            run: "edit Sai điểm học kỳ II môn Toán",
        },
        {
            trigger: ".modal footer button[name=action_send_back]",
            run: "click",
        },
        {
            content: "the record says it is sent back",
            trigger: ".o_form_view .o_hocbaso_correction_open",
        },
        {
            content: "the subject is marked sent back in the record's subjects",
            trigger: ".o_field_one2many[name=line_ids] .o_data_row:contains(Toán) td[name=correction_open] input:checked, .o_field_one2many[name=line_ids] .o_data_row:contains(Mathematics) td[name=correction_open] input:checked",
        },
    ],
});

registry.category("web_tour.tours").add("hocbaso_correct_sent_back", {
    steps: () => [
        {
            content: "the subject teacher opens her class in her results grid",
            trigger: ".o_group_header:contains(6A1)",
            run: "click",
        },
        {
            content: "the subject sent back is open again: correct the score",
            trigger: ".o_data_row:contains(Nguyễn Văn An) td[name=semester2]",
            run: "click",
        },
        {
            // as a Vietnamese teacher writes it; the record keeps 9.0
            trigger: ".o_data_row:contains(Nguyễn Văn An) td[name=semester2] input",
            run: "edit 9,0",
        },
        {
            trigger: ".o_list_button_save",
            run: "click",
        },
        {
            content: "saved, shown with her decimal comma",
            trigger: ".o_data_row:contains(Nguyễn Văn An) td[name=semester2]:contains(9,0)",
        },
    ],
});
