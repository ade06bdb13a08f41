"""Screenshots of the running demo, one per role, for the README's "who does what".

Usage (with `bin/demo` running): python tools/screenshots.py [--url http://127.0.0.1:8069]
[--out docs/screenshots] [--lang vi_VN]

Logs in as each demo user over HTTP (the login form, as a person would), hands the session to
headless Chromium through the DevTools protocol and captures the page the role lands on once
Odoo's web client has drawn it. Only Chromium and websocket-client (already needed by Odoo's
browser tests) are used: no Selenium, no Playwright download.
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import requests
import websocket

# (file name, login, path, what the README says it shows); password = login in the demo
ROLES = (
    ("1-subject-teacher", "gv_toan", "/odoo", "a subject teacher's records waiting for her"),
    ("2-homeroom-teacher", "gvcn_tieuhoc", "/odoo", "a homeroom teacher's class"),
    ("3-principal", "hieutruong", "/odoo", "the principal's records waiting for her"),
    ("4-issuer", "vanthu", "/odoo", "the seal holder's records to issue"),
    ("5-school-admin", "quantri", "/odoo", "the school admin's landing page"),
    ("6-inspector", "thanhtra", "/odoo", "the inspector's read-only view"),
    ("7-parent", "phuhuynh", "/my/hocba", "a parent's list of her child's records"),
    ("8-visitor", None, "/hocbaso/verify", "the public verify page"),
)
# the web client has drawn a view (backend) or the page is a plain website/portal page
READY_JS = ("!!(document.querySelector('.o_action_manager .o_view_controller') || "
            "(!document.querySelector('.o_action_manager') && document.readyState === 'complete'))")


def login(base, user, lang):
    session = requests.Session()
    page = session.get(f"{base}/web/login", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if not token:
        raise SystemExit(f"no login form at {base}/web/login: is bin/demo running?")
    answer = session.post(f"{base}/web/login", timeout=30, data={
        "login": user, "password": user, "csrf_token": token.group(1), "redirect": ""})
    if "session_id" not in session.cookies or "oe_login_form" in answer.text:
        raise SystemExit(f"could not log in as {user}")
    def rpc(url, params):
        answer = session.post(f"{base}{url}", timeout=30, json={
            "jsonrpc": "2.0", "method": "call", "params": params}).json()
        if "error" in answer:
            raise SystemExit(f"{user}: {answer['error'].get('message')}")
        return answer["result"]

    uid = rpc("/web/session/get_session_info", {})["uid"]
    # the user's own language, as she would set it in her preferences
    rpc("/web/dataset/call_kw/res.users/write", {
        "model": "res.users", "method": "write", "args": [[uid], {"lang": lang}], "kwargs": {}})
    return session.cookies["session_id"]


class Chromium:
    """Headless Chromium driven over its DevTools websocket."""

    def __init__(self, width=1366, height=850):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            raise SystemExit("Chromium not found (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="hocbaso-shots-")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={width},{height}", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        for _attempt in range(100):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            page = next(t for t in json.load(answer) if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.counter = 0

    def call(self, method, **params):
        self.counter += 1
        self.socket.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.counter:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def shoot(self, url, cookie, path, host):
        self.call("Network.enable")
        self.call("Network.clearBrowserCookies")
        if cookie:
            self.call("Network.setCookie", name="session_id", value=cookie, domain=host,
                      path="/")
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        for _attempt in range(150):
            time.sleep(0.2)
            ready = self.call("Runtime.evaluate", expression=READY_JS, returnByValue=True)
            if ready.get("result", {}).get("value"):
                break
        time.sleep(1.0)  # the last fetches (counts in the menu, avatars)
        shot = self.call("Page.captureScreenshot", format="png")
        Path(path).write_bytes(base64.b64decode(shot["data"]))

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--lang", default="vi_VN")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    host = re.sub(r"^https?://([^:/]+).*$", r"\1", args.url)
    browser = Chromium()
    try:
        for name, user, path, what in ROLES:
            cookie = login(args.url, user, args.lang) if user else None
            target = os.path.join(args.out, f"{name}.png")
            browser.shoot(args.url + path, cookie, target, host)
            print(f"{target}: {what}")
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
