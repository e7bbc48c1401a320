// Login: user name (an admin's name or a mail address) and password; when the account has a
// second factor the server asks for it and the form's second step takes the 6-digit TOTP code.
import { h, clear } from "../dom";
import { form } from "../form";
import { t } from "../i18n";
import { login, type Session } from "../session";

export function loginPage(main: HTMLElement, done: (s: Session) => void): void {
  let username = "";
  let password = "";
  const box = h("div", { class: "login-box card" });
  main.append(h("div", { class: "login-brand", "aria-hidden": "true" }, "kurier"), box);

  function credentialsStep(): void {
    clear(box);
    box.append(h("h1", { tabindex: -1 }, t("login.title")), form({
      label: t("login.title"),
      submit: "login.submit",
      fields: [
        { name: "username", label: "login.username", required: true, autocomplete: "username", hint: "login.username_hint" },
        { name: "password", label: "login.password", type: "password", required: true, autocomplete: "current-password" },
      ],
      onSubmit: async (v) => {
        username = String(v.username);
        password = String(v.password);
        const r = await login(username, password);
        if (r.ok) done(r.session);
        else totpStep();
      },
    }));
  }

  function totpStep(): void {
    clear(box);
    const back = h("button", { type: "button", class: "link-button", onclick: credentialsStep }, t("login.back"));
    box.append(h("h1", { tabindex: -1 }, t("login.totp_title")), h("p", {}, t("login.totp_text")), form({
      label: t("login.totp_title"),
      submit: "login.verify",
      fields: [{ name: "totp", label: "login.totp", required: true, autocomplete: "one-time-code", inputmode: "numeric" }],
      onSubmit: async (v) => {
        const r = await login(username, password, String(v.totp));
        if (r.ok) done(r.session);
      },
    }), back);
    (box.querySelector("input") as HTMLInputElement).focus();
  }

  credentialsStep();
}
