/** @odoo-module **/
/* The PIN dialog (the PIN is not a field of any record: it lives in this input until the
 * teacher presses Sign, is handed to the caller once and the input is emptied) and the
 * dialog with the outcome of the batch. */

import { Component, useRef } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import { useAutofocus } from "@web/core/utils/hooks";

const LABELS_SHOWN = 8;

export class AgentPinDialog extends Component {
    static template = "hocbaso_odoo_sign.AgentPinDialog";
    static components = { Dialog };
    static props = {
        close: Function,
        certificateName: { type: String, optional: true },
        labels: { type: Array, element: String },
        onConfirm: Function,
    };

    setup() {
        this.input = useRef("pin");
        useAutofocus({ refName: "pin" });
    }

    get shownLabels() {
        return this.props.labels.slice(0, LABELS_SHOWN);
    }

    get intro() {
        return _t(
            "%(count)s signature(s) will be made on your USB token with the certificate %(name)s, after this one PIN:",
            { count: this.props.labels.length, name: this.props.certificateName || "" }
        );
    }

    get moreText() {
        const more = this.props.labels.length - LABELS_SHOWN;
        return more > 0 ? _t("… and %(count)s more", { count: more }) : "";
    }

    confirm() {
        const element = this.input.el;
        const pin = element ? element.value : "";
        if (!pin) {
            element?.focus();
            return;
        }
        if (element) {
            element.value = "";
        }
        this.props.onConfirm(pin);
        this.props.close();
    }

    onKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            this.confirm();
        }
    }
}

export class AgentResultDialog extends Component {
    static template = "hocbaso_odoo_sign.AgentResultDialog";
    static components = { Dialog };
    static props = {
        close: Function,
        summary: { type: String, optional: true },
        signed: Number,
        skipped: Number,
        failed: Number,
    };
}
