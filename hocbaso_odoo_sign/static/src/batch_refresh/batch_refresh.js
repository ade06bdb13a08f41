/** @odoo-module **/
/* The waiting screen waits for the teacher, not the other way round: when a signing batch
 * changes state (approved, rejected or expired on the phone, answered by the service's webhook
 * or the scheduled poll), the server tells its signer on the bus ("hocbaso_sign_batch",
 * {batch_id, state}); the batch form, the signing wizard showing that batch and the list of
 * her batches then show the new state by themselves. Nothing is polled from the browser. */

import { Component, onMounted, onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { ListController } from "@web/views/list/list_controller";
import { listView } from "@web/views/list/list_view";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

export const BATCH_NOTIFICATION = "hocbaso_sign_batch";

/** Calls ``callback(batchId)`` for each batch notification while the component lives. */
export function useBatchNotifications(callback) {
    const bus = useService("bus_service");
    const listener = (payload) => {
        const batchId = Number(payload && payload.batch_id);
        if (Number.isInteger(batchId) && batchId > 0) {
            callback(batchId);
        }
    };
    onMounted(() => bus.subscribe(BATCH_NOTIFICATION, listener));
    onWillUnmount(() => bus.unsubscribe(BATCH_NOTIFICATION, listener));
}

/** Placed in the batch form and the signing wizard: reloads what shows the batch. */
export class BatchRefresh extends Component {
    static template = "hocbaso_odoo_sign.BatchRefresh";
    static props = { ...standardWidgetProps };

    setup() {
        useBatchNotifications((batchId) => this.onBatchChanged(batchId));
    }

    async onBatchChanged(batchId) {
        const record = this.props.record;
        if (record.resModel === "hocbaso.sign.batch") {
            if (record.resId === batchId) {
                await record.load();
            }
            return;
        }
        if (record.resModel === "hocbaso.sign.wizard" && record.data.state === "batch_wait") {
            const shown = record.data.batch_ids ? record.data.batch_ids.currentIds : [];
            if (shown.includes(batchId)) {
                // the wizard's own step: the results once every batch is closed
                await this.env.onClickViewButton({
                    clickParams: { name: "action_show_batch", type: "object" },
                    getResParams: () => ({
                        context: record.context,
                        evalContext: record.evalContext,
                        resModel: record.resModel,
                        resId: record.resId,
                        resIds: record.resIds,
                    }),
                });
            }
        }
    }
}

registry.category("view_widgets").add("hocbaso_batch_refresh", {
    component: BatchRefresh,
});

/** "My Signing Batches": the list reloads when one of her batches changes. */
export class BatchListController extends ListController {
    setup() {
        super.setup();
        useBatchNotifications(() => this.model.root.load());
    }
}

registry.category("views").add("hocbaso_sign_batch_list", {
    ...listView,
    Controller: BatchListController,
});
