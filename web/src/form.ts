// Forms with inline validation errors. Each field has a <label>, an optional hint and an error
// line tied to the input by aria-describedby; a failed submit marks the fields aria-invalid,
// writes the server's problem+json field errors under them and moves focus to the first one.
// Errors that belong to no field go to the form's alert line.
import { h, uid } from "./dom";
import { ApiError } from "./api";
import { t, type Key } from "./i18n";
import { problemText } from "./components";

export interface Field {
  name: string;
  label: Key;
  type?: "text" | "password" | "email" | "number" | "date" | "textarea" | "checkbox" | "checkboxes" | "select" | "search";
  value?: string | number | boolean | string[];
  required?: boolean;
  hint?: Key;
  autocomplete?: string;
  options?: { value: string; label: string }[];
  min?: number;
  max?: number;
  inputmode?: string;
  rows?: number;
  multiple?: boolean;
}

export type Values = Record<string, string | boolean | string[]>;

export interface FormOptions {
  fields: Field[];
  submit: Key;
  onSubmit: (values: Values) => Promise<void | string>;
  className?: string;
  label?: string;
}

// input: the element that takes focus and aria-invalid (for a group of checkboxes, the first);
// group: the fieldset of a "checkboxes" field, whose checked boxes are its value.
interface Control { field: Field; input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement; error: HTMLElement; group?: HTMLFieldSetElement }

export function form(opts: FormOptions): HTMLFormElement {
  const alert = h("p", { class: "form-alert", role: "alert", tabindex: -1 });
  const status = h("p", { class: "form-status", role: "status" });
  const controls = opts.fields.map(control);
  const button = h("button", { type: "submit", class: "primary" }, t(opts.submit));
  const el = h("form", { class: opts.className ?? "stack", novalidate: true, "aria-label": opts.label ?? null },
    alert, controls.map((c) => c.group ?? c.input.closest(".field")!), h("div", { class: "actions" }, button), status);

  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(controls, alert, status);
    const missing = controls.filter((c) => c.field.required && !valueOf(c));
    if (missing.length) {
      for (const c of missing) showError(c, t("form.required"));
      missing[0].input.focus();
      return;
    }
    button.disabled = true;
    try {
      const done = await opts.onSubmit(values(controls));
      status.textContent = typeof done === "string" ? done : t("form.saved");
    } catch (e) {
      showApiError(e, controls, alert);
    } finally {
      button.disabled = false;
    }
  });
  return el;
}

function control(field: Field): Control {
  if (field.type === "checkboxes") return checkboxGroup(field);
  const id = uid(`f-${field.name}`);
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [field.hint ? hintId : "", errorId].filter(Boolean).join(" ");
  const common = {
    id, name: field.name, required: field.required ?? false, "aria-describedby": describedBy,
    autocomplete: field.autocomplete ?? null,
  };
  let input: Control["input"];
  if (field.type === "textarea") {
    input = h("textarea", { ...common, rows: field.rows ?? 8, spellcheck: "false" }, String(field.value ?? ""));
  } else if (field.type === "select") {
    input = h("select", { ...common, multiple: field.multiple ?? false },
      (field.options ?? []).map((o) => h("option", { value: o.value, selected: isSelected(field, o.value) }, o.label)));
  } else if (field.type === "checkbox") {
    input = h("input", { ...common, type: "checkbox", checked: field.value === true });
  } else {
    input = h("input", {
      ...common, type: field.type ?? "text", value: field.value === undefined ? null : String(field.value),
      min: field.min ?? null, max: field.max ?? null, inputmode: field.inputmode ?? null,
    });
  }
  const error = h("p", { class: "field-error", id: errorId });
  const label = h("label", { for: id }, t(field.label), field.required ? h("span", { "aria-hidden": "true" }, " *") : null);
  const hint = field.hint ? h("p", { class: "hint", id: hintId }, t(field.hint)) : null;
  const cls = field.type === "checkbox" ? "field checkbox" : "field";
  if (field.type === "checkbox") h("div", { class: cls }, input, label, hint, error);
  else h("div", { class: cls }, label, hint, input, error);
  return { field, input, error };
}

// A set of on/off choices (e.g. an account's services): a fieldset whose legend names it.
function checkboxGroup(field: Field): Control {
  const id = uid(`f-${field.name}`);
  const error = h("p", { class: "field-error", id: `${id}-error` });
  const boxes = (field.options ?? []).map((o, i) => {
    const boxId = `${id}-${i}`;
    const box = h("input", { type: "checkbox", id: boxId, name: field.name, value: o.value, checked: isSelected(field, o.value), "aria-describedby": `${id}-error` });
    return h("div", { class: "field checkbox" }, box, h("label", { for: boxId }, o.label));
  });
  const group = h("fieldset", { class: "field group" }, h("legend", {}, t(field.label)),
    field.hint ? h("p", { class: "hint" }, t(field.hint)) : null, boxes, error);
  return { field, input: group.querySelector("input")!, error, group };
}

function isSelected(field: Field, value: string): boolean {
  return Array.isArray(field.value) ? (field.value as string[]).includes(value) : String(field.value ?? "") === value;
}

function valueOf(c: Control): string | boolean | string[] {
  if (c.group) return Array.from(c.group.querySelectorAll<HTMLInputElement>("input:checked")).map((b) => b.value);
  const i = c.input;
  if (i instanceof HTMLInputElement && i.type === "checkbox") return i.checked;
  if (i instanceof HTMLSelectElement && i.multiple) return Array.from(i.selectedOptions).map((o) => o.value);
  return i.value.trim() === "" ? "" : c.field.type === "password" || c.field.type === "textarea" ? i.value : i.value.trim();
}

function values(controls: Control[]): Values {
  const v: Values = {};
  for (const c of controls) v[c.field.name] = valueOf(c);
  return v;
}

function clearErrors(controls: Control[], alert: HTMLElement, status: HTMLElement): void {
  alert.textContent = "";
  status.textContent = "";
  for (const c of controls) {
    c.error.textContent = "";
    c.input.removeAttribute("aria-invalid");
  }
}

function showError(c: Control, message: string): void {
  c.error.textContent = message;
  c.input.setAttribute("aria-invalid", "true");
}

// Field names of the problem's errors may be nested ("forwarding.targets.0"): the first part
// that names one of our fields wins.
export function showApiError(e: unknown, controls: Control[], alert: HTMLElement): void {
  if (!(e instanceof ApiError)) {
    alert.textContent = t("form.network_error");
    return;
  }
  const unmatched: string[] = [];
  let first: Control | null = null;
  for (const fe of e.fields.length ? e.fields : fieldFromDetail(e, controls)) {
    const c = controls.find((x) => x.field.name === fe.field || fe.field.split(".").includes(x.field.name));
    if (c) {
      showError(c, fe.message || problemText(e));
      first ??= c;
    } else if (fe.message) {
      unmatched.push(fe.message);
    }
  }
  if (!first || unmatched.length) alert.textContent = [problemText(e), ...unmatched].join(" ");
  (first?.input ?? alert).focus();
}

// A problem without a field list whose detail starts with one of the form's field names
// ("password is required", "quota must be a non-negative integer") belongs to that field.
function fieldFromDetail(e: ApiError, controls: Control[]): { field: string; message: string }[] {
  const word = /^([a-z_]+)\b/.exec(e.message)?.[1];
  return word && controls.some((c) => c.field.name === word) ? [{ field: word, message: e.message }] : [];
}

// Splits a textarea/field of addresses (one per line, or comma separated) into a list.
export function splitList(v: string | boolean | string[] | undefined): string[] {
  if (Array.isArray(v)) return v;
  return String(v ?? "").split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
}

export function num(v: string | boolean | string[] | undefined): number | undefined {
  const s = String(v ?? "").trim();
  return s === "" ? undefined : Number(s);
}
