/** @odoo-module **/
/* What tours share to run one journey in two languages: the check that what a user reads as
 * labels (menus, breadcrumbs, field labels, column titles, buttons, notifications) is in the
 * expected language. Data keeps its own language (a student is Nguyễn Văn An in every
 * language): the names a journey shows are given and left out of the check. */

// letters that only Vietnamese writes (none of them in an English label)
const VIETNAMESE = /[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]/i;

// what a back-office screen labels
export const BACKEND_LABELS = [
    ".o_main_navbar .o_menu_brand",
    ".o_main_navbar .o_menu_sections button",
    ".o_control_panel .breadcrumb",
    ".o_control_panel .o_last_breadcrumb_item",
    ".o_form_view .o_form_label",
    ".o_form_view .o_statusbar_buttons button",
    ".o_form_view .o_form_sheet .text-muted",
    ".o_list_view thead th",
    ".o_pivot thead th.o_pivot_measure_row",
    ".o_notification",
];

/* Throws when a label holds a Vietnamese letter once the names in ``data`` are taken out. */
export function checkNoVietnamese(selectors, data = []) {
    const found = [];
    const elements = document.querySelectorAll(selectors.join(", "));
    if (!elements.length) {
        throw new Error(`no label to read: ${selectors.join(", ")}`);
    }
    for (const element of elements) {
        let text = element.innerText || element.textContent || "";
        for (const name of data) {
            text = text.split(name).join("");
        }
        if (VIETNAMESE.test(text)) {
            found.push(text.trim());
        }
    }
    if (found.length) {
        throw new Error(`Vietnamese in an English screen: ${found.join(" | ")}`);
    }
}

/* A step that runs the check once ``trigger`` is there. */
export function englishOnlyStep(trigger, data = [], selectors = BACKEND_LABELS) {
    return {
        content: "every label in English (names are data: they keep their language)",
        trigger,
        run() {
            checkNoVietnamese(selectors, data);
        },
    };
}

/* What choosing a file in the file dialog does: the field's input gets it and changes. */
export function chooseFile(selector, file) {
    const input = document.querySelector(selector);
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
}

export function check(condition, message) {
    if (!condition) {
        throw new Error(message);
    }
}
