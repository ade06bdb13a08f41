/** @odoo-module **/
/* The subject teacher enters her class's scores the way the paper gradebook has them: she
 * opens Score Entry, picks the class and the subject (the term is semester 1), types the
 * scores of a student with the keyboard, Tab taking her from TX1 to TX2... to the final
 * (never into a subject picker), saves, computes the results and reads what is missing.
 * Then the same screen with Excel: she downloads the template of her class and subject,
 * fills it in, imports it, gets the rows accepted and a file of the rows refused, with the
 * reason of each, and reads the imported scores in the grid.
 * test_score_entry_tour.py starts them in Vietnamese and in English: the steps are shared, only
 * the texts the teacher reads differ. */

import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";
import { check, chooseFile, englishOnlyStep } from "./tour_language";

const AN = ".o_hocbaso_score_grid .o_data_row:contains(Nguyễn Văn An)";
const NAMES = ["Nguyễn Văn An", "Trần Thị Bình"];

const TEXTS = {
    vi: {
        subjectTyped: "To",
        subject: "Toán",
        draft: "Nháp",
        computed: "đã tính kết quả cho 1 trên 2 học sinh",
        imported: "Đã nhập 1 học sinh, 1 dòng bị từ chối.",
        average: "7,6",
        passed: "Đ – Đạt",
        score: "6,0",
    },
    en: {
        subjectTyped: "Mat",
        subject: "Mathematics",
        draft: "Draft",
        computed: "results computed for 1 of 2 students",
        imported: "1 students imported, 1 rows rejected.",
        average: "7.6",
        passed: "Đ – Passed",
        score: "6.0",
    },
};

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

function chooseClassAndSubject(texts) {
    return [
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
            run: `edit ${texts.subjectTyped}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-item a:contains(${texts.subject})`,
            run: "click",
        },
    ];
}

function scoreEntrySteps(texts, english) {
    return [
        ...chooseClassAndSubject(texts),
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
        ...(english ? [englishOnlyStep(`${AN} td[name=s1_tx1]`, NAMES)] : []),
        {
            content: "each row says its record's state: why a greyed row cannot be edited",
            trigger: `${AN} td[name=record_state]:contains(${texts.draft})`,
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
            content: "saved: the semester average is there, as her language writes it",
            trigger: `${AN} td[name=semester1]:contains(${texts.average})`,
        },
        {
            content: "compute the results",
            trigger: ".o_form_view button.o_hocbaso_compute_scores",
            run: "click",
        },
        {
            content: "the feedback: how many, and who still lacks scores",
            trigger: `.o_notification:contains(${texts.computed}):contains(Trần Thị Bình)`,
        },
        ...(english ? [englishOnlyStep(`.o_notification:contains(${texts.computed})`, NAMES)] : []),
    ];
}

registry.category("web_tour.tours").add("hocbaso_score_entry", {
    steps: () => scoreEntrySteps(TEXTS.vi, false),
});

registry.category("web_tour.tours").add("hocbaso_score_entry_en", {
    steps: () => scoreEntrySteps(TEXTS.en, true),
});

/* The id of the screen, in the URL once it is saved. */
async function entryId() {
    for (let tries = 0; tries < 100; tries++) {
        const id = Number(window.location.pathname.split("/").pop());
        if (Number.isInteger(id) && id > 0) {
            return id;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no saved screen in ${window.location.pathname}`);
}

/* First part of the Excel journey: the template of her class and subject. The test fills the
 * file she downloaded (as she would in Excel) before the second part. */
registry.category("web_tour.tours").add("hocbaso_score_excel_template", {
    steps: () => [
        ...chooseClassAndSubject(TEXTS.vi),
        {
            content: "download the Excel template of the class and subject",
            trigger: ".o_form_view button[name=action_download_template]",
            run: "click",
        },
        {
            content: "the template is the class's workbook, named after class, subject and term",
            trigger: ".o_form_view button[name=action_download_template]",
            async run() {
                const id = await entryId();
                const url =
                    `/web/content?model=hocbaso.score.entry&id=${id}&field=template_file` +
                    "&filename_field=template_filename&download=true";
                let response = await fetch(url);
                // the button's call may still be writing the file
                for (let tries = 0; !response.ok && tries < 50; tries++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                    response = await fetch(url);
                }
                check(response.ok, `the download answered ${response.status}`);
                const disposition = response.headers.get("Content-Disposition") || "";
                check(disposition.includes("nhap_diem_6A1_TOAN_HK1.xlsx"), disposition);
                const bytes = new Uint8Array(await response.arrayBuffer());
                check(bytes[0] === 0x50 && bytes[1] === 0x4b, "the template is no workbook");
            },
        },
    ],
});

/* Second part: the filled workbook goes back in through the screen's file field. */
registry.category("web_tour.tours").add("hocbaso_score_excel_import", {
    steps: () => [
        {
            content: "the screen of her class and subject, with its grid",
            trigger: `${AN} td[name=s1_tx1]`,
        },
        {
            content: "choose the workbook she filled in",
            trigger: ".o_form_view div[name=import_file]",
            async run() {
                const id = await entryId();
                const [filled] = await rpc("/web/dataset/call_kw/ir.attachment/search_read", {
                    model: "ir.attachment",
                    method: "search_read",
                    args: [
                        [
                            ["res_model", "=", "hocbaso.score.entry"],
                            ["res_id", "=", id],
                        ],
                        ["name", "datas"],
                    ],
                    kwargs: {},
                });
                check(filled, "the test left no filled workbook");
                const bytes = Uint8Array.from(atob(filled.datas), (c) => c.charCodeAt(0));
                const file = new File([bytes], filled.name, {
                    type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                });
                chooseFile(".o_form_view div[name=import_file] input[type=file]", file);
            },
        },
        {
            trigger: ".o_form_view div[name=import_file] input[type=text]:value(nhap_diem_6A1_TOAN_HK1.xlsx)",
        },
        {
            content: "import it",
            trigger: ".o_form_view button[name=action_import]",
            run: "click",
        },
        {
            content: "how many rows went in and how many were refused",
            trigger: `.o_notification:contains(${TEXTS.vi.imported})`,
        },
        {
            content: "the refused rows come back as a file, with the reason of each",
            trigger:
                ".o_hocbaso_import_message div[name=rejected_file] " +
                "a:contains(bi_tu_choi_6A1_TOAN_HK1.xlsx)",
        },
        {
            content: "the imported scores in the grid",
            trigger: `${AN} td[name=s1_tx2]:contains(7,5)`,
        },
        {
            trigger: `${AN} td[name=s1_final]:contains(8,5)`,
        },
    ],
});

/* The homeroom teacher reads a record's subject results in her language: scores with its
 * decimal separator, the word of a comment-only subject's result (Đ is "Đ – Đạt" / "Đ –
 * Passed"), never the bare code. */
function resultsShownSteps(texts) {
    const results = ".o_form_view .o_field_one2many[name=line_ids] td[name=semester1]";
    return [
        {
            content: "a score subject: the score as her language writes it",
            trigger: `${results}:contains(${texts.score})`,
        },
        {
            content: "a comment-only subject: the word of its result",
            trigger: `${results}:contains(${texts.passed})`,
            run() {
                const shown = [...document.querySelectorAll(results)].map((td) =>
                    td.textContent.trim()
                );
                check(!shown.includes("Đ"), `a bare code among the results: ${shown}`);
            },
        },
    ];
}

registry.category("web_tour.tours").add("hocbaso_results_shown", {
    steps: () => resultsShownSteps(TEXTS.vi),
});

registry.category("web_tour.tours").add("hocbaso_results_shown_en", {
    steps: () => resultsShownSteps(TEXTS.en),
});
