/** @odoo-module **/
/* Counts beside menu entries: "Chờ tôi ký (12)". The server counts (hocbaso.record's
 * hocbaso_menu_counters: from the user's roles, classes, subjects, the records' states and the
 * schools allowed); the web client asks when it starts (a reload, a change of school) and
 * again after each button or save on our models (a signature, a lock, a send-back), the way
 * Odoo's own services follow RPC:RESPONSE (currency, stock warehouses). Only the label of the
 * menu changes: the menus themselves stay cached by the browser. */

import { registry } from "@web/core/registry";
import { rpcBus } from "@web/core/network/rpc";
import { UPDATE_METHODS } from "@web/core/orm_service";

const APP = "hocbaso_odoo.menu_hocbaso_root";
const MODEL = "hocbaso.record";
const METHOD = "hocbaso_menu_counters";

export const hocbasoMenuCountersService = {
    dependencies: ["menu", "orm"],
    start(env, { menu, orm }) {
        const names = new Map(); // menu id -> its label without a count
        let counts = {};
        let asked = 0;

        function apply() {
            let changed = false;
            for (const item of menu.getAll()) {
                if (!(item.xmlid in counts)) {
                    continue;
                }
                if (!names.has(item.id)) {
                    names.set(item.id, item.name);
                }
                const count = counts[item.xmlid];
                const name = count ? `${names.get(item.id)} (${count})` : names.get(item.id);
                if (item.name !== name) {
                    item.name = name;
                    changed = true;
                }
            }
            if (changed) {
                env.bus.trigger("MENUS:APP-CHANGED");
            }
        }

        async function refresh() {
            if (!menu.getApps().some((app) => app.xmlid === APP)) {
                return; // not a user of the app: nothing to count, no call
            }
            const ticket = ++asked;
            const answer = await orm.silent.call(MODEL, METHOD, []);
            if (ticket === asked) {
                counts = answer;
                apply();
            }
        }

        let scheduled = false;
        function refreshSoon() {
            if (!scheduled) {
                scheduled = true;
                setTimeout(() => {
                    scheduled = false;
                    refresh();
                });
            }
        }

        rpcBus.addEventListener("RPC:RESPONSE", (ev) => {
            const { data, error } = ev.detail;
            const { model, method } = data.params || {};
            if (
                !error &&
                typeof model === "string" &&
                model.startsWith("hocbaso.") &&
                typeof method === "string" &&
                (UPDATE_METHODS.includes(method) || method.startsWith("action_"))
            ) {
                refreshSoon();
            }
        });
        // menus reloaded (new objects, labels without counts): label them again
        env.bus.addEventListener("MENUS:APP-CHANGED", apply);
        refresh();
        return { refresh };
    },
};

registry.category("services").add("hocbaso_menu_counters", hocbasoMenuCountersService);
