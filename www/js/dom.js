// Small DOM helpers shared by the page's modules. Text only through textContent:
// nothing from the URL or from files is ever parsed as HTML.

export const $ = (id) => document.getElementById(id);

export const el = (tag, props = {}, children = []) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "text") e.textContent = v;
    else if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
};

export const ctx = (id) => $(id).getContext("2d");

/** An alert (kind "alert") or a status/info box in #alerts, with a close button. */
export function alertBox(message, kind = "alert") {
  const box = el("div", { class: `alert ${kind}`, role: kind === "alert" ? "alert" : "status" });
  box.append(el("span", { text: message }));
  const close = el("button", { class: "close", "aria-label": "Dismiss", text: "×" });
  close.addEventListener("click", () => box.remove());
  box.append(close);
  $("alerts").append(box);
  return box;
}

export function download(name, blob) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
