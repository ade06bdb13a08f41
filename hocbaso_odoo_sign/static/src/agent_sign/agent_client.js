/** @odoo-module **/
/* Talking to the signing agent on the teacher's own PC (agent/hocbaso_agent): plain HTTP on
 * 127.0.0.1, which browsers treat as a secure context. The agent answers only the Odoo
 * addresses it was started with (CORS); its refusals carry an English and a Vietnamese
 * message. Whatever it answers is checked here for its shape, then again by the server. */

import { _t } from "@web/core/l10n/translation";
import { user } from "@web/core/user";

export const DEFAULT_AGENT_PORT = 8987;
const TIMEOUT_MS = 180000; // a batch of hundreds of signatures on a slow token

export class AgentError extends Error {
    constructor(code, message) {
        super(message);
        this.name = "AgentError";
        this.code = code;
    }
}

function agentMessage(data) {
    const vietnamese = (user.lang || "").toLowerCase().startsWith("vi");
    const text = vietnamese ? data.message_vi : data.message;
    return typeof text === "string" && text ? text.slice(0, 500) : "";
}

export function notRunningMessage(port) {
    return _t(
        "The signing program is not running on this computer (nothing answers at 127.0.0.1:%(port)s). Plug in your USB token, install its driver and the Học bạ số signing program (hocbaso-agent), start the program for the address %(origin)s, then try again. Ask the school's IT admin if you do not know how.",
        { port, origin: window.location.origin }
    );
}

/** JSON from the agent at ``path``; AgentError with a message for the user otherwise. */
export async function callAgent(port, path, { method = "GET", body = null } = {}) {
    let response;
    try {
        response = await fetch(`http://127.0.0.1:${port}${path}`, {
            method,
            mode: "cors",
            credentials: "omit",
            cache: "no-store",
            headers: body ? { "Content-Type": "application/json" } : {},
            body: body ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(TIMEOUT_MS),
        });
    } catch {
        // not running, or running without this address allowed: the browser cannot tell
        throw new AgentError("unreachable", notRunningMessage(port));
    }
    let data;
    try {
        data = await response.json();
    } catch {
        data = null;
    }
    if (!data || typeof data !== "object") {
        throw new AgentError(
            "bad_answer",
            _t("The program at 127.0.0.1:%(port)s is not the Học bạ số signing program.", {
                port,
            })
        );
    }
    if (!response.ok) {
        throw new AgentError(
            typeof data.error === "string" ? data.error : "error",
            agentMessage(data) ||
                _t("The signing program refused the request (HTTP %(status)s).", {
                    status: response.status,
                })
        );
    }
    return data;
}

/** The signatures of the agent's answer, in the shape the server takes (checked there too). */
export function signaturesOf(answer, items) {
    const sent = new Set(items.map((item) => item.doc_id));
    const list = Array.isArray(answer.signatures) ? answer.signatures : null;
    if (
        !list ||
        !list.every(
            (entry) =>
                entry &&
                typeof entry.doc_id === "string" &&
                typeof entry.signature === "string" &&
                sent.has(entry.doc_id)
        )
    ) {
        throw new AgentError(
            "bad_answer",
            _t("The signing program gave a malformed answer; nothing was signed.")
        );
    }
    return list.map(({ doc_id, signature }) => ({ doc_id, signature }));
}
