// Entry point: restores the session, picks the language, draws the frame (skip link, banner,
// navigation, main) and routes /paths to pages with the History API. The server answers
// index.html for every client route, so a reload or a bookmark lands on the same page.
import { h, clear } from "./dom";
import { setUnauthorizedHandler } from "./api";
import { chooseLanguage, setLanguage, t, languages, currentLang, supported, type Key } from "./i18n";
import { restore, session, logout, isAdmin, savePreferences, type Session, type Role } from "./session";
import { link, errorLine } from "./components";
import { loginPage } from "./pages/login";
import { dashboardPage } from "./pages/dashboard";
import { domainsPage, domainPage } from "./pages/domains";
import { accountsPage, accountPage } from "./pages/accounts";
import { adminsPage } from "./pages/admins";
import { queuePage } from "./pages/queue";
import { auditPage } from "./pages/audit";
import { selfPage, selfSections } from "./pages/self";

export interface PageContext { main: HTMLElement; params: string[]; query: URLSearchParams; session: Session }
type PageFn = (ctx: PageContext) => Promise<void> | void;
interface Route { pattern: RegExp; page: PageFn; roles: Role[]; title: Key }

const ADMINS: Role[] = ["super", "domain_admin"];
const routes: Route[] = [
  { pattern: /^\/$/, page: dashboardPage, roles: ADMINS, title: "nav.dashboard" },
  { pattern: /^\/domains$/, page: domainsPage, roles: ADMINS, title: "nav.domains" },
  { pattern: /^\/domain$/, page: domainPage, roles: ADMINS, title: "nav.domains" },
  { pattern: /^\/accounts$/, page: accountsPage, roles: ADMINS, title: "nav.accounts" },
  { pattern: /^\/account$/, page: accountPage, roles: ADMINS, title: "nav.accounts" },
  { pattern: /^\/admins$/, page: adminsPage, roles: ["super"], title: "nav.admins" },
  { pattern: /^\/queue$/, page: queuePage, roles: ["super"], title: "nav.queue" },
  { pattern: /^\/audit$/, page: auditPage, roles: ADMINS, title: "nav.audit" },
  { pattern: /^\/me(?:\/([a-z-]+))?$/, page: selfPage, roles: ["super", "domain_admin", "user"], title: "nav.self" },
];

// One domain's and one account's page name the object in the query: a domain name or address
// in the path would end in ".test" or ".org", which a server takes for a file name.
export const domainPath = (name: string): string => `/domain?name=${encodeURIComponent(name)}`;
export const accountPath = (address: string): string => `/account?address=${encodeURIComponent(address)}`;
// The navigation entry an object page belongs to.
const SECTION_OF: Record<string, string> = { "/domain": "/domains", "/account": "/accounts" };

const root = document.getElementById("app")!;

function homeFor(s: Session): string {
  return isAdmin(s) ? "/" : "/me";
}

export function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void render();
}

async function render(): Promise<void> {
  const s = session();
  const path = location.pathname.replace(/\/+$/, "") || "/";
  if (!s) {
    if (path !== "/login") history.replaceState(null, "", "/login?next=" + encodeURIComponent(location.pathname + location.search));
    return showLogin();
  }
  if (path === "/login") return navigate(homeFor(s), true);
  const match = routes.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  const main = frame(s, path);
  if (!match || !match.r.roles.includes(s.role)) {
    document.title = `${t("error.not_found_title")} – kurier`;
    main.append(h("h1", { tabindex: -1 }, t("error.not_found_title")), h("p", {}, t("error.not_found")), link(homeFor(s), t("nav.home")));
  } else {
    document.title = `${t(match.r.title)} – kurier`;
    const params = match.m!.slice(1).map((p) => (p === undefined ? "" : decodeURIComponent(p)));
    try {
      await match.r.page({ main, params, query: new URLSearchParams(location.search), session: s });
    } catch (e) {
      main.append(errorLine(e));
    }
  }
  focusHeading(main);
}

function showLogin(): void {
  clear(root);
  document.title = `${t("login.title")} – kurier`;
  const main = h("main", { id: "main", class: "login-main", tabindex: -1 });
  root.append(main);
  loginPage(main, async (s) => {
    applyLanguage(s);
    const next = new URLSearchParams(location.search).get("next");
    navigate(next && next.startsWith("/") && !next.startsWith("//") && next !== "/login" ? next : homeFor(s), true);
  });
}

// Screen readers hear the new page's title; keyboard focus starts at the top of the content.
let firstRender = true;
function focusHeading(main: HTMLElement): void {
  if (firstRender) { firstRender = false; return; }
  (main.querySelector("h1") ?? main).focus();
}

function frame(s: Session, path: string): HTMLElement {
  clear(root);
  const main = h("main", { id: "main", tabindex: -1 });
  root.append(
    h("a", { class: "skip-link", href: "#main" }, t("nav.skip")),
    h("header", { class: "banner" },
      h("a", { class: "brand", href: homeFor(s), "data-route": true }, "kurier"),
      h("div", { class: "user-box" },
        h("span", { class: "user-name" }, s.username),
        languagePicker(s),
        h("button", { type: "button", class: "link-button", onclick: () => void doLogout() }, t("nav.logout")))),
    navigation(s, path),
    main);
  return main;
}

function navigation(s: Session, path: string): HTMLElement {
  const items: [string, Key][] = isAdmin(s)
    ? [["/", "nav.dashboard"], ["/domains", "nav.domains"], ["/accounts", "nav.accounts"]]
    : [];
  if (s.role === "super") items.push(["/admins", "nav.admins"], ["/queue", "nav.queue"]);
  if (isAdmin(s)) items.push(["/audit", "nav.audit"]);
  if (s.role === "user") for (const [slug, key] of selfSections) items.push([`/me/${slug}`, key]);
  else items.push(["/me", "nav.self"]);
  const section = SECTION_OF[path] ?? path;
  const current = (href: string) => (href === "/" ? section === "/" : section === href || section.startsWith(href + "/") || (href === "/me/password" && section === "/me"));
  return h("nav", { class: "main-nav", "aria-label": t("nav.label") },
    h("ul", {}, items.map(([href, key]) => h("li", {},
      h("a", { href, "data-route": true, "aria-current": current(href) ? "page" : null }, t(key))))));
}

function languagePicker(s: Session): HTMLElement {
  const id = "lang-select";
  const select = h("select", { id },
    languages.map((l) => h("option", { value: l.code, selected: l.code === currentLang(), lang: l.code }, l.name)));
  select.addEventListener("change", async () => {
    const l = supported(select.value)!;
    setLanguage(l);
    await savePreferences({ language: l }).catch(() => undefined);
    void render();
  });
  return h("span", { class: "lang" }, h("label", { for: id, class: "visually-hidden" }, t("nav.language")), select);
}

function applyLanguage(s: Session | null): void {
  setLanguage(chooseLanguage(s?.language ?? null));
}

async function doLogout(): Promise<void> {
  await logout().catch(() => undefined);
  navigate("/login", true);
}

// Links marked data-route stay in the app; modified clicks (new tab) keep the browser's way.
document.addEventListener("click", (ev) => {
  const a = (ev.target as Element).closest?.("a[data-route]") as HTMLAnchorElement | null;
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  ev.preventDefault();
  navigate(a.getAttribute("href")!);
});
window.addEventListener("popstate", () => void render());
setUnauthorizedHandler(() => {
  void restore().then((s) => { if (!s) navigate("/login?next=" + encodeURIComponent(location.pathname), true); });
});

async function start(): Promise<void> {
  applyLanguage(null);
  const s = await restore();
  applyLanguage(s);
  await render();
}
void start();
