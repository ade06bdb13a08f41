/** @odoo-module **/
/* "Sign with the USB token on my computer", on the signing wizard when the certificate's key
 * is on a token at the teacher's PC: the server prepares the digests of every record, the
 * teacher enters the token PIN once, the signing agent on 127.0.0.1 signs them all, and the
 * server checks and writes each signature. The PIN goes to the agent only. */

import { Component, useState } from "@odoo/owl";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";
import { AgentPinDialog, AgentResultDialog } from "./agent_dialogs";
import { AgentError, DEFAULT_AGENT_PORT, callAgent, signaturesOf } from "./agent_client";

export class AgentSignButton extends Component {
    static template = "hocbaso_odoo_sign.AgentSignButton";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.dialog = useService("dialog");
        this.action = useService("action");
        this.company = useService("company");
        this.state = useState({ busy: false });
    }

    get certificateName() {
        const value = this.props.record.data.certificate_id;
        return (value && (value.display_name || value[1])) || "";
    }

    /** The port the school set for the agents on its computers (School > Học bạ số). */
    async agentPort() {
        const companyId = this.company.currentCompany.id;
        const [company] = await this.orm.read("res.company", [companyId], ["hocbaso_agent_port"]);
        const port = Number(company && company.hocbaso_agent_port);
        return Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_AGENT_PORT;
    }

    askPin(prepared) {
        return new Promise((resolve) => {
            this.dialog.add(
                AgentPinDialog,
                {
                    certificateName: this.certificateName,
                    labels: prepared.items.map((item) => String(item.label || item.doc_id)),
                    onConfirm: (pin) => resolve(pin),
                },
                { onClose: () => resolve(null) }
            );
        });
    }

    async onClick() {
        if (this.state.busy) {
            return;
        }
        this.state.busy = true;
        try {
            await this.signWithAgent();
        } catch (error) {
            if (!(error instanceof AgentError)) {
                throw error; // the server's refusals: Odoo's own error dialog
            }
            this.dialog.add(AlertDialog, {
                title: _t("Nothing was signed"),
                body: error.message,
            });
        } finally {
            this.state.busy = false;
        }
    }

    async signWithAgent() {
        const record = this.props.record;
        if (!(await record.save())) {
            return;
        }
        const port = await this.agentPort();
        await callAgent(port, "/v1/info"); // running, and for this address: before any batch
        const prepared = await this.orm.call("hocbaso.sign.wizard", "action_agent_prepare", [
            [record.resId],
        ]);
        if (!prepared.items || !prepared.items.length) {
            return this.showResult(prepared);
        }
        let result;
        try {
            // the program and the token first: no PIN is asked for nothing
            const { certificates } = await callAgent(port, "/v1/certificates");
            const wanted = String(prepared.certificate.sha256).toLowerCase();
            if (!Array.isArray(certificates) || !certificates.some((c) => c && c.sha256 === wanted)) {
                throw new AgentError(
                    "certificate_not_found",
                    _t(
                        "The USB token plugged into this computer does not hold the certificate %(name)s. Plug in the right token, wait a few seconds, then try again.",
                        { name: this.certificateName }
                    )
                );
            }
            let pin = await this.askPin(prepared);
            if (pin === null) {
                throw new AgentError("cancelled", _t("Signing cancelled: no PIN was entered."));
            }
            try {
                result = await this.signBatch(port, wanted, pin, prepared);
                // records issued: their printed PDFs, which carry the XML just signed, are
                // certified next with the same PIN (the server opened that batch)
                const pdf = result.pdf_batch;
                if (pdf && Array.isArray(pdf.items) && pdf.items.length) {
                    result = await this.signPdfBatch(port, wanted, pin, pdf, result);
                }
            } finally {
                pin = null;
            }
        } catch (error) {
            await this.cancelBatch(prepared.batch_id);
            throw error;
        }
        return this.showResult(result);
    }

    /** The agent signs the items of ``prepared`` with ``pin``; the server checks and keeps
     * the signatures. Returns the server's result. */
    async signBatch(port, certificateSha256, pin, prepared) {
        const answer = await callAgent(port, "/v1/sign", {
            method: "POST",
            body: {
                certificate_sha256: certificateSha256,
                digests: prepared.items.map(({ doc_id, digest }) => ({ doc_id, digest })),
                pin,
            },
        });
        return this.orm.call("hocbaso.sign.batch", "action_agent_complete", [
            [prepared.batch_id],
            signaturesOf(answer, prepared.items),
        ]);
    }

    /** The printed PDFs' batch after an issuance: the records are issued whatever comes of
     * it; an agent's refusal is added to the result, the batch released. */
    async signPdfBatch(port, certificateSha256, pin, pdf, result) {
        try {
            const pdfResult = await this.signBatch(port, certificateSha256, pin, pdf);
            return { ...result, summary: `${result.summary} ${pdfResult.summary}` };
        } catch (error) {
            await this.cancelBatch(pdf.batch_id);
            if (!(error instanceof AgentError)) {
                throw error;
            }
            return { ...result, summary: `${result.summary} ${error.message}` };
        }
    }

    async cancelBatch(batchId) {
        try {
            await this.orm.call("hocbaso.sign.batch", "action_cancel", [[batchId]]);
        } catch {
            // already closed by the server: nothing pending to release
        }
    }

    async showResult(result) {
        await this.action.doAction({ type: "ir.actions.act_window_close" });
        this.dialog.add(AgentResultDialog, {
            summary: typeof result.summary === "string" ? result.summary : "",
            signed: Number(result.signed) || 0,
            skipped: Number(result.skipped) || 0,
            failed: Number(result.failed) || 0,
        });
    }
}

registry.category("view_widgets").add("hocbaso_agent_sign", {
    component: AgentSignButton,
});
