/** @odoo-module **/
/* The school admin chooses the grades that get digital records this year. Selectors avoid
 * labels, so the tour runs in Vietnamese and in English. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hocbaso_rollout", {
    steps: () => [
        {
            content: "a rollout line for the year",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_data_row td[name=school_year_id] input",
            run: "edit 2024",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(2024-2025)",
            run: "click",
        },
        {
            content: "grade 6 only",
            trigger: ".o_data_row td[name=grade_ids] input",
            run: "edit 6",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(6)",
            run: "click",
        },
        {
            trigger: ".o_list_button_save",
            run: "click",
        },
        {
            content: "saved",
            trigger: ".o_data_row:not(.o_selected_row) td[name=grade_ids] .o_tag:contains(6)",
        },
    ],
});
