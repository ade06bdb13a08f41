/** @odoo-module **/
/* The parent reads the child's record on the portal, and an anonymous visitor verifies a record
 * by the short code printed on its PDF. Checks are about what a reader sees: words, not codes;
 * dates as the reader's language writes them (day first in Vietnamese, Odoo's English month
 * first), one way on the whole page; a subjects table whose rows line up with its header. */

import { registry } from "@web/core/registry";
import { checkNoVietnamese } from "./tour_language";

// codes a reader must not see (the fixture's signers are named after their logins: "gvcn",
// so role codes are looked for in the role cells only)
const CODES = /\b(KY_PHAT_HANH|TOAN|NGUVAN|GDTC|DAODUC|UTC)\b/;
const ROLE_CODES = /\b(GVBM|GVCN|CBQL|KY_PHAT_HANH|phathanh|cbql|gvbm|gvcn)\b/;
const DATE = /^\d{2}\/\d{2}\/\d{4}$/;
const DATE_TIME = /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/;

function check(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}

const TEXTS = {
    vi: { subjects: "Môn học", good: "Tốt", homeroom: "Giáo viên chủ nhiệm", math: "Toán" },
    en: { subjects: "Subjects", good: "Good", homeroom: "Homeroom teacher", math: "Mathematics" },
};
// what a parent reads as labels on the record's page (the rest is the record's own data)
const PORTAL_LABELS = [
    ".o_hocba_record h5",
    ".o_hocba_record th",
    ".o_hocba_record strong",
    ".o_hocba_record .o_sig_role",
    ".o_hocba_record table.o_hocba_results td",
    ".o_hocba_record td.o_hocba_subject",
];

function parentReadsSteps(texts, english) {
    return [
        {
            content: "the parent opens the child's record from the list",
            trigger: "a.o_hocba_link",
            run: "click",
        },
        {
            content: "the record is shown, in the reader's language",
            trigger: `.o_hocba_record h5:contains(${texts.subjects})`,
        },
        {
            content: "every subject row has as many cells as the header: comments stay in their column",
            trigger: "table.o_hocba_subjects tbody tr",
            run() {
                const table = document.querySelector("table.o_hocba_subjects");
                const width = table.querySelectorAll("thead th").length;
                const rows = table.querySelectorAll("tbody tr");
                check(rows.length >= 3, `expected the subjects, got ${rows.length} rows`);
                for (const row of rows) {
                    check(row.children.length === width, `a row has ${row.children.length} cells, the header ${width}`);
                }
                const subjects = [...table.querySelectorAll("td.o_hocba_subject")].map((td) => td.textContent.trim());
                check(subjects.includes(texts.math), `subject names in words: ${subjects}`);
            },
        },
        {
            content: "results, roles and dates are words and local dates, not codes",
            trigger: ".o_hocba_issuance .o_hocba_issue_date",
            run() {
                const page = document.querySelector(".o_hocba_record").innerText;
                const code = page.match(CODES);
                check(!code, `a code is shown: ${code && code[0]}`);
                check(!/\b(T|K|Đ|CĐ) – /.test(page), "a result is shown with its code");
                const results = document.querySelector("table.o_hocba_results").innerText;
                check(results.includes(texts.good), `results in words: ${results}`);
                const issued = document.querySelector(".o_hocba_issue_date").textContent.trim();
                check(DATE.test(issued), `issue date as a local date: ${issued}`);
                // the issue date is the day of the school's issuing signature, the last row:
                // both written the same way (a walk once found them written two ways)
                const times = [...document.querySelectorAll(".o_sig_time")].map((td) => td.textContent.trim());
                const issuing = times[times.length - 1] || "";
                check(issuing.startsWith(issued + " "), `issue date ${issued} beside the issuing signature's ${issuing}`);
                check(document.querySelector(".o_hocba_leader").textContent.trim(), "no leader shown");
                const roles = [...document.querySelectorAll(".o_sig_role")].map((td) => td.textContent.trim());
                check(roles.includes(texts.homeroom), `role labels in words: ${roles}`);
                check(roles.some((role) => role.includes(texts.math)), `subject teacher's role names the subject: ${roles}`);
                check(!roles.some((role) => ROLE_CODES.test(role)), `a role shown as a code: ${roles}`);
                for (const td of document.querySelectorAll(".o_sig_time")) {
                    check(DATE_TIME.test(td.textContent.trim()), `signing time: ${td.textContent}`);
                }
                check(document.querySelector(".o_sig_valid"), "no valid signature shown");
            },
        },
        ...(english
            ? [
                  {
                      content: "labels in English; names, places and comments are the record's data",
                      trigger: ".o_hocba_issuance .o_hocba_issue_date",
                      run() {
                          checkNoVietnamese(PORTAL_LABELS, ["Nguyễn Văn An", "Hà Nội"]);
                      },
                  },
              ]
            : []),
        {
            content: "the header shows the school, not a placeholder logo",
            trigger: "header .o_hocbaso_school_name, header a.navbar-brand img:not([src*='company_logo'])",
        },
    ];
}

registry.category("web_tour.tours").add("hocbaso_parent_reads_record", {
    steps: () => parentReadsSteps(TEXTS.vi, false),
});

registry.category("web_tour.tours").add("hocbaso_parent_reads_record_en", {
    steps: () => parentReadsSteps(TEXTS.en, true),
});

registry.category("web_tour.tours").add("hocbaso_verify_by_code", {
    steps: () => [
        {
            content: "the verification page, in Vietnamese",
            trigger: "h2.o_hocbaso_verify_title:contains(Xác thực học bạ số)",
        },
        {
            content: "type the code printed under the QR code",
            trigger: "form.o_hocbaso_verify_lookup input[name=code]",
            // the test hands the printed code over in the URL's fragment (never sent to the server)
            async run(actions) {
                const code = new URLSearchParams(window.location.hash.slice(1)).get("code");
                check(code, "the test gave no code");
                await actions.edit(code.toUpperCase());
            },
        },
        {
            trigger: "form.o_hocbaso_verify_lookup button[type=submit]",
            run: "click",
        },
        {
            content: "the summary of the verified record",
            trigger: ".o_hocbaso_status.alert-success",
            run() {
                const info = document.querySelector("table.o_hocbaso_verify_info").innerText;
                check(info.includes("Nguyễn Văn An"), `the student's name: ${info}`);
                check(info.includes("2024-2025"), `the school year: ${info}`);
                const issued = document.querySelector(".o_hocbaso_issue_date").textContent.trim();
                check(DATE.test(issued), `issue date as dd/mm/yyyy: ${issued}`);
                const times = [...document.querySelectorAll(".o_sig_time")].map((td) => td.textContent.trim());
                const issuing = times[times.length - 1] || "";
                check(issuing.startsWith(issued + " "), `issue date ${issued} beside the issuing signature's ${issuing}`);
                const page = document.querySelector(".o_hocbaso_verify").innerText;
                const code = page.match(CODES);
                check(!code, `a code is shown: ${code && code[0]}`);
                const roles = [...document.querySelectorAll(".o_sig_role")].map((td) => td.textContent.trim());
                check(roles.includes("Giáo viên chủ nhiệm"), `role labels in words: ${roles}`);
                check(!roles.some((role) => ROLE_CODES.test(role)), `a role shown as a code: ${roles}`);
                for (const td of document.querySelectorAll(".o_sig_time")) {
                    check(DATE_TIME.test(td.textContent.trim()), `signing time: ${td.textContent}`);
                }
                check(!document.querySelector(".o_sig_invalid"), "a signature is shown invalid");
                check(document.querySelectorAll(".o_sig_valid").length >= 5, "signatures not shown valid");
            },
        },
    ],
});
