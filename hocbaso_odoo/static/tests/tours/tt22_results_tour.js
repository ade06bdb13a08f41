/** @odoo-module **/
/* The homeroom teacher reads, on the record's year results, why a learning result was
 * adjusted (Art. 9(3)) and that grade 9 completed lower secondary school. Selectors avoid
 * labels: the tour runs in Vietnamese and in English. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hocbaso_tt22_results", {
    steps: () => [
        {
            content: "the year results",
            trigger: ".o_form_view .o_notebook a.nav-link[name=year_results]",
            run: "click",
        },
        {
            content: "the year results are the page shown (a click before the form settles is lost)",
            trigger: ".o_form_view .o_notebook a.nav-link.active[name=year_results]",
        },
        {
            content: "the adjustment, with its reason",
            trigger: ".o_form_view div[name=learning_adjustment_note]:not(:empty)",
        },
        {
            content: "grade 9: lower secondary completed",
            trigger: ".o_form_view div[name=completed_lower_secondary] input:checked",
        },
    ],
});
