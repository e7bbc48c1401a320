// The browser scenarios of issue 11 part 7, run by tests/integration/test_webui_browser.py
// against a real `kurier serve`: `node tests/browser/scenarios.mjs NAME` with KURIER_BROWSER set
// to the JSON settings. Each scenario drives the UI as a person would (labels and roles, never
// CSS classes), runs axe on every page it shows and saves screenshots; the Python side then
// proves the effect with real mail clients (smtplib, imaplib).
import { run, login, capture, check, settle, field, totpCode } from "./lib.mjs";

const nav = (page, name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
const heading = (page, name) => page.getByRole("heading", { level: 1, name, exact: true });

async function go(page, linkName, title) {
  await nav(page, linkName).click();
  await heading(page, title ?? linkName).waitFor();
  await settle(page);
}

async function mainText(page) {
  return page.getByRole("main").innerText();
}

// A super-admin creates a domain, an account in it and an alias to that account; every admin
// page is checked by axe and photographed on the way.
async function adminSetup(page, cfg) {
  const address = `${cfg.local}@${cfg.domain}`;
  const alias = `${cfg.alias_local}@${cfg.domain}`;
  await page.goto(cfg.base + "/");
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await capture(page, cfg.artifacts, "login");

  // A wrong password: the form says so, inline, and stays on the login page.
  await field(page, "User name or email address").fill(cfg.admin);
  await field(page, "Password").fill("not-the-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: /wrong username or password/i }).waitFor();

  await login(page, cfg.base, cfg.admin, cfg.admin_password);
  await heading(page, "Dashboard").waitFor();
  await capture(page, cfg.artifacts, "dashboard");

  await go(page, "Domains");
  // Inline validation: an empty name never leaves the browser, a bad one comes back as a problem.
  const addDomain = page.getByRole("button", { name: "Add domain" });
  await addDomain.click();
  const nameField = field(page, "Domain");
  check(await nameField.getAttribute("aria-invalid") === "true", "an empty domain name is marked invalid");
  await page.getByText("This field is required.").waitFor();
  await nameField.fill("not a domain!");
  await addDomain.click();
  await page.locator("form [role=alert]:not(:empty), form .field-error:not(:empty)").first().waitFor();
  await capture(page, cfg.artifacts, "domains-error");
  await nameField.fill(cfg.domain);
  await addDomain.click();
  await heading(page, `Domain ${cfg.domain}`).waitFor();

  await field(page, "Name before the @").fill(cfg.local);
  await field(page, "Display name").fill("Browser Test");
  await field(page, "Password").fill(cfg.account_password);
  await page.getByRole("button", { name: "Add account" }).click();
  await heading(page, address).waitFor();
  await capture(page, cfg.artifacts, "account");

  await page.getByRole("link", { name: `Domain ${cfg.domain}` }).click();
  await heading(page, `Domain ${cfg.domain}`).waitFor();
  await field(page, "Alias address").fill(cfg.alias_local);
  await field(page, "Deliver to").fill(address);
  await page.getByRole("button", { name: "Add alias" }).click();
  await page.getByText(`Alias ${alias} added.`).waitFor();
  const aliases = await page.getByRole("region", { name: "Aliases" }).innerText();
  check(aliases.includes(alias) && aliases.includes(address), `the alias table shows ${alias} -> ${address}:\n${aliases}`);
  await capture(page, cfg.artifacts, "domain");

  await go(page, "Domains");
  check((await mainText(page)).includes(cfg.domain), "the domain list shows the new domain");
  await capture(page, cfg.artifacts, "domains");

  await go(page, "Accounts");
  await field(page, "Search accounts").fill(cfg.local);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: address }).waitFor();
  await settle(page);
  await capture(page, cfg.artifacts, "accounts");

  for (const [link, title, shot] of [["Admins", "Admins", "admins"], ["Queue", "Queue", "queue"],
    ["Audit log", "Audit log", "audit"], ["My settings", "My settings", "preferences"]]) {
    await go(page, link, title);
    if (shot === "audit") {
      // What was just done through the UI is in the audit log, newest first, with who did it.
      const row = page.getByRole("row").filter({ hasText: "POST /api/v1/aliases" }).filter({ hasText: alias }).first();
      await row.waitFor();
      check((await row.innerText()).includes(cfg.admin), "the audit entry names the admin");
    }
    await capture(page, cfg.artifacts, shot);
  }
  return { address, alias };
}

// A domain admin sees its own domain and its accounts, never another domain's.
async function domainAdmin(page, cfg) {
  await login(page, cfg.base, cfg.admin, cfg.admin_password);
  await heading(page, "Dashboard").waitFor();
  await settle(page);
  for (const hidden of ["Admins", "Queue"])
    check(await nav(page, hidden).count() === 0, `a domain admin has no ${hidden} page in its navigation`);
  await go(page, "Domains");
  let text = await mainText(page);
  check(text.includes(cfg.own_domain), `the domain list shows ${cfg.own_domain}:\n${text}`);
  check(!text.includes(cfg.other_domain), `the domain list hides ${cfg.other_domain}:\n${text}`);
  await capture(page, cfg.artifacts, "domain-admin-domains");

  await go(page, "Accounts");
  text = await mainText(page);
  check(text.includes(cfg.own_account), `the account list shows ${cfg.own_account}:\n${text}`);
  check(!text.includes(cfg.other_account), `the account list hides ${cfg.other_account}:\n${text}`);

  await page.goto(`${cfg.base}/domain?name=${encodeURIComponent(cfg.other_domain)}`);
  await page.getByRole("alert").first().waitFor();
  text = await mainText(page);
  check(!text.includes(`Domain ${cfg.other_domain}`), `the other domain's page shows nothing of it:\n${text}`);
  await page.goto(`${cfg.base}/account?address=${encodeURIComponent(cfg.other_account)}`);
  await page.getByRole("alert").first().waitFor();
  check(await heading(page, cfg.other_account).count() === 0, "the other domain's account is not shown");
  return {};
}

// A mail user switches its vacation reply on; the self-service pages are photographed too.
async function vacation(page, cfg) {
  await login(page, cfg.base, cfg.user, cfg.password);
  await go(page, "Vacation reply");
  await field(page, "Send vacation replies").check();
  await field(page, "Subject").fill(cfg.subject);
  await field(page, "Message").fill(cfg.text);
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
  await capture(page, cfg.artifacts, "self-vacation");
  // Saved on the server, not just in the form: a fresh load shows it.
  await page.reload();
  await heading(page, "Vacation reply").waitFor();
  await settle(page);
  check(await field(page, "Send vacation replies").isChecked(), "the vacation reply is still on after a reload");
  check(await field(page, "Subject").inputValue() === cfg.subject, "the subject was saved");
  for (const [link, shot] of [["Password", "self-password"], ["Forwarding", "self-forwarding"],
    ["Filters (Sieve)", "self-sieve"], ["Storage", "self-storage"], ["App passwords", "self-app-passwords"],
    ["Two-factor login", "self-security"]]) {
    await go(page, link);
    await capture(page, cfg.artifacts, shot);
  }
  return {};
}

// A mail user changes its password: a wrong old password is refused inline, the right one works.
async function changePassword(page, cfg) {
  await login(page, cfg.base, cfg.user, cfg.old_password);
  await go(page, "Password");
  const submit = page.getByRole("button", { name: "Change password" });
  await field(page, "Current password").fill("wrong-" + cfg.old_password);
  await field(page, "New password").fill(cfg.new_password);
  await submit.click();
  await page.locator("form [role=alert]:not(:empty), form .field-error:not(:empty)").first().waitFor();
  check(await page.getByText("Your password was changed.").count() === 0, "a wrong old password changes nothing");
  await capture(page, cfg.artifacts, "self-password-error");
  await field(page, "Current password").fill(cfg.old_password);
  await submit.click();
  await page.getByRole("status").filter({ hasText: "Your password was changed." }).waitFor();
  return {};
}

// An admin switches two-factor login on; the next login asks for the code, refuses a wrong one
// and takes the right one. The confirming code is this step's, the login's the next step's
// (the server accepts one step either side and never the same step twice).
async function totp(page, cfg) {
  await login(page, cfg.base, cfg.admin, cfg.admin_password);
  await go(page, "My settings");
  // Switching the second factor on asks for the password again.
  const twoFactor = page.getByRole("region", { name: "Two-factor login" });
  await field(twoFactor, "Current password").fill("not-" + cfg.admin_password);
  await twoFactor.getByRole("button", { name: "Set up two-factor login" }).click();
  await twoFactor.getByText(/password is wrong/i).waitFor();
  await field(twoFactor, "Current password").fill(cfg.admin_password);
  await twoFactor.getByRole("button", { name: "Set up two-factor login" }).click();
  const key = (await page.locator("code.secret").innerText()).replace(/\s+/g, "");
  check(/^[A-Z2-7]{16,}$/.test(key), `a base32 key is shown: ${key}`);
  await capture(page, cfg.artifacts, "totp-setup");
  await field(page, "Authentication code").fill(totpCode(key));
  await page.getByRole("button", { name: "Switch on" }).click();
  await page.getByText("Web logins need a code from your authenticator app.").waitFor();

  await page.getByRole("button", { name: "Log out" }).click();
  await field(page, "User name or email address").fill(cfg.admin);
  await field(page, "Password").fill(cfg.admin_password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
  await capture(page, cfg.artifacts, "login-totp");
  const wrong = String((Number(totpCode(key, 1)) + 500000) % 1000000).padStart(6, "0");
  await field(page, "Authentication code").fill(wrong);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.locator("form [role=alert]:not(:empty)").waitFor();
  check(await page.getByRole("button", { name: "Log out" }).count() === 0, "a wrong code does not log in");
  await field(page, "Authentication code").fill(totpCode(key, 1));
  await page.getByRole("button", { name: "Verify" }).click();
  await heading(page, "Dashboard").waitFor();
  return {};
}

// A mail user creates an app password (shown once) and, when asked, revokes it.
async function appPassword(page, cfg) {
  await login(page, cfg.base, cfg.user, cfg.password);
  await go(page, "App passwords");
  await field(page, "Name").fill(cfg.app_name);
  await field(page, "Current password").fill(cfg.password);
  await page.getByRole("button", { name: "Create app password" }).click();
  const secret = (await page.locator("code.secret").innerText()).trim();
  check(secret.length >= 12, `an app password is shown: ${secret}`);
  await page.getByRole("cell", { name: cfg.app_name }).waitFor();
  await capture(page, cfg.artifacts, "self-app-password-created");
  return { password: secret };
}

async function revokeAppPassword(page, cfg) {
  await login(page, cfg.base, cfg.user, cfg.password);
  await go(page, "App passwords");
  const row = page.getByRole("row").filter({ hasText: cfg.app_name });
  await row.getByRole("button", { name: "Revoke" }).click();
  await row.getByRole("button", { name: "Really revoke?" }).click();
  await page.getByText("No app passwords.").waitFor();
  return {};
}

// The DNS checker on a domain's page: the results table says which records are right and which
// are missing (dnsmasq, started by the test, serves MX and SPF and nothing else for the domain).
async function dnsCheck(page, cfg) {
  await login(page, cfg.base, cfg.admin, cfg.admin_password);
  await page.goto(`${cfg.base}/domain?name=${encodeURIComponent(cfg.domain)}`);
  await heading(page, `Domain ${cfg.domain}`).waitFor();
  await page.getByRole("button", { name: "Check DNS now" }).click();
  const results = page.getByRole("table", { name: "DNS check results" });
  await results.waitFor();
  const rows = {};
  for (const row of await results.locator("tbody tr").all()) {
    const cells = await row.locator("td").allInnerTexts();
    rows[cells[0].trim()] = cells[2].trim();
  }
  check(rows.MX === "correct", `MX is correct: ${JSON.stringify(rows)}`);
  check(rows.SPF === "correct", `SPF is correct: ${JSON.stringify(rows)}`);
  check(rows.DMARC === "missing", `DMARC is missing: ${JSON.stringify(rows)}`);
  await capture(page, cfg.artifacts, "domain-dns-check");
  return rows;
}

// The language follows the browser: German for a German browser, before anyone logs in.
async function germanLogin(page, cfg) {
  await page.goto(cfg.base + "/");
  await page.getByRole("heading", { name: "Anmelden" }).waitFor();
  check(await page.getAttribute("html", "lang") === "de", "the page says it is German");
  await capture(page, cfg.artifacts, "login-de");
  return {};
}

// An admin sets its language and rows per page under "My settings": the server keeps them.
async function preferences(page, cfg) {
  await login(page, cfg.base, cfg.admin, cfg.admin_password);
  await go(page, "My settings");
  const main = page.getByRole("main");
  await field(main, "Rows per page").fill("10");
  await main.getByLabel("Language", { exact: true }).selectOption("de");
  await main.getByRole("button", { name: "Save" }).click();
  await heading(page, "Meine Einstellungen").waitFor();
  await capture(page, cfg.artifacts, "preferences-de");
  return {};
}

// Another browser (nothing in its storage, an English locale): the admin's preferences come
// with the login — German pages, 10 rows per page.
async function preferencesFollow(page, cfg) {
  await page.goto(cfg.base + "/");
  await field(page, "User name or email address").fill(cfg.admin);
  await field(page, "Password").fill(cfg.admin_password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Abmelden" }).waitFor();
  check(await page.getAttribute("html", "lang") === "de", "the admin's language follows it");
  await page.getByRole("navigation", { name: "Hauptnavigation" }).getByRole("link", { name: "Konten", exact: true }).click();
  await heading(page, "Konten").waitFor();
  await settle(page);
  const rows = await page.getByRole("main").locator("table tbody tr").count();
  check(await page.getByRole("button", { name: "Nächste Seite" }).isEnabled(), "more pages follow");
  return { rows };
}

await run({
  "admin-setup": adminSetup, "domain-admin": domainAdmin, vacation, "change-password": changePassword,
  "german-login": germanLogin, "dns-check": dnsCheck, totp, "app-password": appPassword, "revoke-app-password": revokeAppPassword,
  preferences, "preferences-follow": preferencesFollow,
});
