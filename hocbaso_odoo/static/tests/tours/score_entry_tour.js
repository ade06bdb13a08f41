/** @odoo-module **/
/* The subject teacher enters her class's scores the way the paper gradebook has them: she
 * opens Score Entry, picks the class and the subject (the term is semester 1), types the
 * scores of a student with the keyboard, Tab taking her from TX1 to TX2... to the final
 * (never into a subject picker), saves, computes the results and reads what is missing.
 * test_score_entry_tour.py starts it in Vietnamese. */

import { registry } from "@web/core/registry";

const AN = ".o_hocbaso_score_grid .o_data_row:contains(Nguyễn Văn An)";

function typeThenTab(field, value, next) {
    return [
        {
            content: `type ${value} in ${field}`,
            trigger: `${AN} td[name=${field}] input:focus`,
            run: `edit ${value}`,
        },
        {
            content: `Tab goes to ${next}`,
            trigger: `${AN} td[name=${field}] input:focus`,
            run: "press Tab",
        },
    ];
}

registry.category("web_tour.tours").add("hocbaso_score_entry", {
    steps: () => [
        {
            content: "choose the class",
            trigger: ".o_form_view div[name=class_id] input",
            run: "edit 6A",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(6A1)",
            run: "click",
        },
        {
            content: "choose the subject",
            trigger: ".o_form_view div[name=subject_id] input",
            run: "edit To",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(Toán)",
            run: "click",
        },
        {
            content: "one row per student, without a delete button or an add line",
            trigger: `${AN} td[name=s1_tx1]`,
            run: function () {
                const grid = document.querySelector(".o_hocbaso_score_grid");
                if (grid.querySelector(".o_list_record_remove, .o_field_x2many_list_row_add")) {
                    throw new Error("the score grid offers to add or delete rows");
                }
                if (grid.querySelector("th[data-name=subject_id]")) {
                    throw new Error("the score grid shows a subject column");
                }
            },
        },
        {
            content: "start on TX1",
            trigger: `${AN} td[name=s1_tx1]`,
            run: "click",
        },
        ...typeThenTab("s1_tx1", "7", "TX2"),
        ...typeThenTab("s1_tx2", "8,5", "TX3"),
        ...typeThenTab("s1_tx3", "9", "TX4"),
        ...typeThenTab("s1_tx4", "6", "GK"),
        ...typeThenTab("s1_midterm", "7", "CK"),
        {
            content: "type the final",
            trigger: `${AN} td[name=s1_final] input:focus`,
            run: "edit 8",
        },
        {
            content: "save the scores",
            trigger: ".o_form_view button.o_hocbaso_save_scores",
            run: "click",
        },
        {
            content: "saved: the semester average is there",
            trigger: `${AN} td[name=semester1]:contains(7.6)`,
        },
        {
            content: "compute the results",
            trigger: ".o_form_view button.o_hocbaso_compute_scores",
            run: "click",
        },
        {
            content: "the feedback: how many, and who still lacks scores",
            trigger: ".o_notification:contains(1):contains(Trần Thị Bình)",
        },
    ],
});
