"""Open Sepakat in a real browser and report Content-Security-Policy violations (not a pytest test).

    .venv/bin/python tests/e2e/csp_browser_check.py http://127.0.0.1:8765 kota-banjar.kdh sepakat-demo-2024 /tmp/shots

Logs in, opens the home page, the inbox, a case page and a task page at desktop and phone width,
opens the menu, and prints every console error and CSP violation (securitypolicyviolation events).
Exit status 1 if there is any violation or console error. Needs Playwright (requirements-dev.txt)
and a Chromium (/usr/bin/chromium; CHROMIUM=... to use another).
"""

import os
import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

VIOLATION_PROBE = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber} sample=${e.sample}`));
"""


def main(base: str, username: str, password: str, shots: Path) -> int:
    shots.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        for label, viewport in (("desktop", {"width": 1366, "height": 900}), ("phone", {"width": 390, "height": 844})):
            context = browser.new_context(viewport=viewport)
            context.add_init_script(VIOLATION_PROBE)
            page = context.new_page()
            page.on("console", lambda m, label=label: m.type == "error"
                    and problems.append(f"[{label}] console: {m.text}"))
            page.on("pageerror", lambda e, label=label: problems.append(f"[{label}] page error: {e}"))

            def visit(url, name, page=page, label=label):
                response = page.goto(url)
                page.wait_for_load_state("networkidle")
                status = response.status if response else "?"
                header = (response.headers.get("content-security-policy") or "") if response else ""
                print(f"[{label}] {name}: {status} {page.url} CSP={'yes' if header else 'NO'}")
                if not header:
                    problems.append(f"[{label}] {name}: no Content-Security-Policy header")
                if status != 200:
                    problems.append(f"[{label}] {name}: HTTP {status}")
                page.screenshot(path=str(shots / f"{label}-{name}.png"), full_page=False)
                for v in page.evaluate("window.__cspViolations"):
                    problems.append(f"[{label}] {name}: CSP violation {v}")

            page.goto(f"{base}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", password)
            with page.expect_navigation():
                page.click("form.vf-form button[type=submit]")
            page.wait_for_load_state("networkidle")
            if "/accounts/login/" in page.url:
                problems.append(f"[{label}] login failed")
                continue
            visit(f"{base}/", "home")
            visit(f"{base}/workflow/inbox/", "inbox")
            task = re.search(r'href="(/workflow/flows/[a-z_]+/(\d+)/[a-z_]+/\d+/[a-z_]*/?)"', page.content())
            if not task:
                visit(f"{base}/workflow/queue/", "queue")
                task = re.search(r'href="(/workflow/flows/[a-z_]+/(\d+)/[a-z_]+/\d+/[a-z_]*/?)"', page.content())
            if task:
                visit(base + task.group(1), "task")
                # A form works: claiming the task (viewflow's assign form) goes on to the task's own form.
                claim = page.locator("form button[name=_continue]:visible").first
                if "/assign/" in page.url and claim.count():
                    with page.expect_navigation():
                        claim.click()
                    page.wait_for_load_state("networkidle")
                    visit(page.url, "task-claimed")
                forms = page.locator("form").count()
                fields = page.locator("form input, form textarea, form select").count()
                print(f"[{label}] task page forms: {forms}; fields: {fields}")
                if not forms:
                    problems.append(f"[{label}] task page has no form")
                visit(f"{base}/sepakat/kasus/{task.group(2)}/", "case")
            else:
                problems.append(f"[{label}] no task link in the inbox or the queue")
            # The menu: viewflow's drawer opens from the toolbar's menu button (a custom element, scripted).
            visit(f"{base}/workflow/inbox/", "inbox-again")
            toggle = page.locator(
                "button.mdc-top-app-bar__navigation-icon:visible, .vf-page__menu-toggle-button:visible"
            ).first
            if toggle.count():
                toggle.click()
                page.wait_for_timeout(600)
                page.screenshot(path=str(shots / f"{label}-menu.png"))
                print(f"[{label}] menu toggled; drawer open: "
                      f"{page.locator('.mdc-drawer--open, aside.mdc-drawer').first.is_visible()}")
            else:
                problems.append(f"[{label}] no menu button found")
            for v in page.evaluate("window.__cspViolations"):
                problems.append(f"[{label}] menu: CSP violation {v}")
            context.close()
        browser.close()
    for problem in problems:
        print("PROBLEM", problem)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    base_url, user, secret = sys.argv[1:4]
    sys.exit(main(base_url.rstrip("/"), user, secret, Path(sys.argv[4] if len(sys.argv) > 4 else "/tmp/csp-shots")))
