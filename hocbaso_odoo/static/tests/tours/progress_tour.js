/** @odoo-module **/
/* The principal opens Progress (Tiến độ): classes against the workflow steps and the shares
 * signed; then who has not signed, and one click reminds them. test_progress_tour.py runs it
 * in Vietnamese and in English: the steps are shared, only the texts she reads differ. */

import { registry } from "@web/core/registry";
import { englishOnlyStep } from "./tour_language";

const TEXTS = {
    vi: { issued: "Đã phát hành", signed: "Đã ký (%)", subject: "Toán", sent: "Đã gửi 3 lời nhắc" },
    en: { issued: "Issued", signed: "Signed (%)", subject: "Mathematics", sent: "3 reminders sent" },
};
// data keeps its language in an English screen
const NAMES = ["Trường Tiểu học và THCS Ánh Dương"];

function progressSteps(texts, english) {
    const check = (trigger) => (english ? [englishOnlyStep(trigger, NAMES)] : []);
    return [
        {
            content: "the matrix: a column per workflow step, in the reader's language",
            trigger: `.o_pivot .o_pivot_measure_row:contains(${texts.issued})`,
        },
        {
            content: "the share signed, per class",
            trigger: `.o_pivot .o_pivot_measure_row:contains(${texts.signed})`,
        },
        {
            content: "each class is a row, under its grade and school",
            trigger: ".o_pivot th:contains(7A1 (2024-2025))",
        },
        ...check(".o_pivot th:contains(7A1 (2024-2025))"),
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
            trigger: `.o_list_view .o_data_row:contains(7A1):contains(${texts.subject}):contains(gvbm_math)`,
        },
        ...check(`.o_list_view .o_data_row:contains(7A1):contains(${texts.subject})`),
        {
            trigger: ".o_control_panel button[name=action_send_reminders]",
            run: "click",
        },
        {
            content: "how many reminders went out",
            trigger: `.o_notification:contains(${texts.sent})`,
        },
        ...check(`.o_notification:contains(${texts.sent})`),
    ];
}

registry.category("web_tour.tours").add("hocbaso_progress_reminders", {
    steps: () => progressSteps(TEXTS.vi, false),
});

registry.category("web_tour.tours").add("hocbaso_progress_reminders_en", {
    steps: () => progressSteps(TEXTS.en, true),
});

/* The teacher reminded: the clock of the activities menu counts her one reminder for today;
 * its entry "Chờ tôi ký" opens the records still waiting for her (7A1), not a crash. */
registry.category("web_tour.tours").add("hocbaso_reminder_opens_waiting", {
    steps: () => [
        {
            content: "one reminder, due today",
            trigger: ".o-mail-ActivityMenu-counter:contains(1)",
            run: "click",
        },
        {
            trigger: ".o-mail-ActivityGroup:contains(Chờ tôi ký)",
            run: "click",
        },
        {
            content: "the records waiting for her, by class",
            trigger: ".o_list_view .o_group_name:contains(7A1 (2024-2025))",
        },
    ],
});
