/** @odoo-module **/
/* A subject teacher whose key is on a USB token at her own PC: she opens what waits for her,
 * signs the whole class through the signing agent on 127.0.0.1 with one PIN, and reads how
 * many records were signed. She works in Vietnamese: one step reads the button's label. */

import { registry } from "@web/core/registry";

const openWizard = [
    {
        content: "after logging in she lands on what waits for her, by class",
        trigger: ".o_list_view .o_group_header:contains(6A1)",
        run: "click",
    },
    {
        trigger: ".o_list_view thead .o_list_record_selector input",
        run: "click",
    },
    {
        content: "sign the selection",
        trigger: ".o_control_panel_actions button[name=action_open_sign_wizard]",
        run: "click",
    },
    {
        content: "the button speaks Vietnamese",
        trigger: ".modal footer button.o_hocbaso_agent_sign:contains(Ký bằng USB token trên máy tôi)",
    },
];

registry.category("web_tour.tours").add("hocbaso_agent_sign", {
    steps: () => [
        ...openWizard,
        {
            content: "her certificate's key is on her token: no PIN field in the form",
            trigger: ".modal:not(:has(div[name=secret] input:visible)) footer button.o_hocbaso_agent_sign",
            run: "click",
        },
        {
            content: "one PIN, asked in our dialog and sent to the agent only",
            trigger: ".modal input.o_hocbaso_agent_pin",
            run: "edit 7391",
        },
        {
            trigger: ".modal button.o_hocbaso_agent_pin_confirm",
            run: "click",
        },
        {
            content: "the outcome: records signed, none failed",
            trigger: ".modal .o_hocbaso_agent_result[data-failed='0'][data-skipped='0']:not([data-signed='0'])",
        },
        {
            trigger: ".modal footer button.btn-primary",
            run: "click",
        },
        {
            content: "the wizard is closed, the list shows what still waits",
            trigger: "body:not(:has(.modal))",
        },
    ],
});

registry.category("web_tour.tours").add("hocbaso_agent_not_running", {
    steps: () => [
        ...openWizard,
        {
            trigger: ".modal footer button.o_hocbaso_agent_sign",
            run: "click",
        },
        {
            content: "nothing answers on 127.0.0.1: she is told what to install and start",
            trigger: ".modal .modal-body:contains(Chưa chạy chương trình ký số trên máy tính này):contains(hocbaso-agent)",
        },
        {
            content: "no PIN was asked",
            trigger: "body:not(:has(input.o_hocbaso_agent_pin))",
        },
        {
            trigger: ".modal:contains(Chưa chạy chương trình ký số) footer button.btn-primary",
            run: "click",
        },
    ],
});

registry.category("web_tour.tours").add("hocbaso_agent_wrong_pin", {
    steps: () => [
        ...openWizard,
        {
            trigger: ".modal footer button.o_hocbaso_agent_sign",
            run: "click",
        },
        {
            trigger: ".modal input.o_hocbaso_agent_pin",
            run: "edit 0000",
        },
        {
            trigger: ".modal button.o_hocbaso_agent_pin_confirm",
            run: "click",
        },
        {
            content: "the token refused the PIN: told once, in Vietnamese, nothing retried",
            trigger: ".modal .modal-body:contains(Mã PIN của USB token không đúng):contains(Chưa ký văn bản nào)",
        },
        {
            trigger: ".modal:contains(Mã PIN của USB token không đúng) footer button.btn-primary",
            run: "click",
        },
    ],
});
