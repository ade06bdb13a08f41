/** @odoo-module **/
/* The issuer exports the records of a class in the background (issue 19): she opens Export
 * from the class, exports, reads that the export is queued and opens it; once the scheduled
 * action has built it (test_export_job_tour.py runs it between the two tours), she opens
 * My Exports from the Records menu and downloads the file. The text checks are Vietnamese:
 * the tour runs in vi_VN. */

import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("hocbaso_export_job_queue", {
    steps: () => [
        {
            content: "the issuer opens Export from the class",
            trigger: ".o_form_view .o_statusbar_buttons button:has(.fa-download)",
            run: "click",
        },
        {
            content: "the class is chosen: export",
            trigger: ".modal footer button[name=action_export]",
            run: "click",
        },
        {
            content: "the export is queued, she will be notified (in Vietnamese)",
            trigger: ".modal .o_hocbaso_export_queued:contains(Tệp xuất của tôi)",
        },
        {
            content: "she opens the queued export",
            trigger: ".modal footer button[name=action_open_job]",
            run: "click",
        },
        {
            content: "the export's page says it runs in the background",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Đang chờ)",
        },
    ],
});

registry.category("web_tour.tours").add("hocbaso_export_job_download", {
    steps: () => [
        {
            content: "the issuer opens the Records menu",
            trigger: ".o_main_navbar button[data-menu-xmlid='hocbaso_odoo.menu_hocbaso_records']",
            run: "click",
        },
        {
            content: "then My Exports",
            trigger: ".dropdown-item[data-menu-xmlid='hocbaso_odoo.menu_hocbaso_export_job']:contains(Tệp xuất của tôi)",
            run: "click",
        },
        {
            content: "her export is done, all records processed",
            trigger: ".o_list_view .o_data_row:contains(6A1):has(.o_progress[aria-valuenow='2'][aria-valuemax='2']):contains(Hoàn tất)",
        },
        {
            content: "she downloads it",
            trigger: ".o_list_view .o_data_row:contains(6A1) button.o_hocbaso_export_download",
            run: "click",
        },
        {
            content: "the list stays (the file is downloaded)",
            trigger: ".o_list_view .o_data_row:contains(6A1)",
        },
    ],
});
