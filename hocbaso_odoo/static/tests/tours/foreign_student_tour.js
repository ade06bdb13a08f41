/** @odoo-module **/
/* The school admin enrols a foreign student with a passport instead of a personal ID. The
 * selectors avoid labels, so the tour runs in Vietnamese and in English. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hocbaso_foreign_student", {
    steps: () => [
        {
            content: "a new student",
            trigger: ".o_control_panel .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view div[name=name] input",
            run: "edit Emily Nguyen Carter",
        },
        {
            content: "no personal ID: the identity document is asked for instead",
            trigger: ".o_form_view div[name=id_document_type] select",
            run: 'select "HO_CHIEU"',
        },
        {
            trigger: ".o_form_view div[name=id_document_number] input",
            run: "edit C03005988",
        },
        {
            trigger: ".o_form_view div[name=nationality_code] input",
            run: "edit US",
        },
        {
            trigger: ".o_form_view div[name=student_code] input",
            run: "edit INT2025031",
        },
        {
            content: "her lifelong learning code, which the record carries",
            trigger: ".o_form_view div[name=lifelong_code] input",
            run: "edit HTSD-79-2025-000731",
        },
        {
            trigger: ".o_form_view div[name=class_id] input",
            run: "edit 6A1",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(6A1)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "saved",
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});
