/** @odoo-module **/
/* A subject result as teachers read it. The record stores the format's value ("8.5", "Đ"); the
 * screens show it in the user's language: the decimal separator of her language ("8,5" in
 * Vietnamese, "8.5" in English) and the word of a code ("Đ – Đạt", "Đ – Passed"), as the
 * record's result choices show theirs. What she types goes back with a decimal point; the
 * server reads "8,5" and "8.5" alike (hocbaso.validation.parse_score). */

import { useRef } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { localization } from "@web/core/l10n/localization";
import { registry } from "@web/core/registry";
import { CharField, charField } from "@web/views/fields/char/char_field";
import { useInputField } from "@web/views/fields/input_field_hook";

// the codes a result may hold besides a score, with the terms of the record's own choices
// (hocbaso.record's learning results, hocbaso.record.line's ratings): one translation each
const CODE_LABELS = {
    "Đ": _t("Đ – Passed"),
    "CĐ": _t("CĐ – Not passed"),
    M: _t("M – Exempt"),
};

/* "8.5 9.0" -> "8,5 9,0" where the user's language writes a decimal comma. */
export function localDecimals(value) {
    const point = localization.decimalPoint;
    return point === "." ? value : value.replace(/(\d)\.(\d)/g, `$1${point}$2`);
}

/* What a cell shows: the word of a code, or the scores with the user's decimal separator. */
export function showResult(value) {
    if (!value) {
        return "";
    }
    return value in CODE_LABELS ? String(CODE_LABELS[value]) : localDecimals(value);
}

export class ScoreField extends CharField {
    setup() {
        // CharField's setup, with the input showing the user's decimal separator
        this.input = useRef("input");
        useInputField({
            getValue: () => localDecimals(this.props.record.data[this.props.name] || ""),
            parse: (value) => this.parse(value),
        });
        this.selectionStart = this.props.record.data[this.props.name]?.length || 0;
    }

    get formattedValue() {
        return showResult(this.props.record.data[this.props.name]);
    }

    parse(value) {
        const typed = super.parse(value);
        const point = localization.decimalPoint;
        return point === "." ? typed : typed.replace(/(\d),(\d)/g, "$1.$2");
    }
}

registry.category("fields").add("hocbaso_score", { ...charField, component: ScoreField });
