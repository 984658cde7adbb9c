// The "Embed" dialog: writes the <iframe> code of the current configuration (its URL
// hash, as Share writes it, plus the page options for the frame: compact layout,
// autoplay and the controls to hide, the `NAME_hide` keys of config.js), with the
// frame's size, a live preview of exactly that code, and a Copy button. A native modal
// <dialog>: focus stays inside, Escape closes it, focus returns to the Embed button.
import * as C from "../config.js";
import { $, el } from "../dom.js";

/** The page's URL (without its hash) and the hash of `state` with the frame's page options. */
export function embedUrl(state, { compact = true, autoplay = true, hide = [] } = {}, base = location.href) {
  const page = { ...state.page, embed: compact, autoplay, hide: new Set(C.HIDE_KEYS.filter((k) => hide.includes(k))) };
  const u = new URL(base);
  u.hash = C.toHash({ ...state, page });
  return u.href;
}

const attr = (s) => String(s).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The <iframe> code for `url` at width × height (CSS pixels). */
export function iframeCode(url, width, height) {
  return `<iframe src="${attr(url)}" width="${width}" height="${height}" title="infomorph: infomorphic neurons, live" style="border: 0" loading="lazy"></iframe>`;
}

const SIZE = { width: [240, 2000, 720], height: [200, 2000, 520] }; // [min, max, default]
const clampSize = (key, value) => {
  const [min, max, fallback] = SIZE[key];
  const v = Math.round(Number(value));
  return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
};

export function initEmbed(app) {
  const S = app.store.s;
  const open = $("embed");
  const dialog = el("dialog", { id: "embed-dialog", class: "embed-dialog", "aria-labelledby": "embed-title" });
  const check = (id, text, checked) => {
    const input = el("input", { type: "checkbox", id });
    input.checked = checked;
    return [input, el("label", { for: id }, [input, document.createTextNode(" " + text)])];
  };
  const [compact, compactLabel] = check("embed-compact", "compact layout (live views and training buttons only)", true);
  const [autoplay, autoplayLabel] = check("embed-autoplay", "start training when shown", true);
  const hideBoxes = C.HIDE_KEYS.map((key) => check(`embed-hide-${key}`, key, false));
  const width = el("input", { type: "number", id: "embed-width", min: SIZE.width[0], max: SIZE.width[1], step: 10 });
  const height = el("input", { type: "number", id: "embed-height", min: SIZE.height[0], max: SIZE.height[1], step: 10 });
  width.value = SIZE.width[2];
  height.value = SIZE.height[2];
  const code = el("textarea", { id: "embed-code", rows: 4, readonly: "", spellcheck: "false", "aria-describedby": "embed-code-hint" });
  const copy = el("button", { id: "embed-copy", class: "primary", text: "Copy" });
  const status = el("p", { id: "embed-status", class: "hint", role: "status" });
  const close = el("button", { id: "embed-close", text: "Close" });
  const preview = el("iframe", { id: "embed-preview", title: "Preview of the embedded page" });

  dialog.append(
    el("h2", { id: "embed-title", text: "Embed this configuration" }),
    el("p", { class: "hint", text: "Paste the code into a course page or a blog. The frame opens this configuration and, embedded, tells its page when it is ready and after each epoch (README, “Embedding”)." }),
    el("div", { class: "embed-grid" }, [
      el("div", {}, [
        el("fieldset", {}, [el("legend", { text: "Frame" }), compactLabel, autoplayLabel,
          el("div", { class: "grid2" }, [
            el("label", { for: "embed-width" }, [document.createTextNode("width (px) "), width]),
            el("label", { for: "embed-height" }, [document.createTextNode("height (px) "), height]),
          ])]),
        el("fieldset", { class: "embed-hide" }, [el("legend", { text: "Hide controls" }), ...hideBoxes.map(([, label]) => label),
          el("p", { class: "hint", text: "The compact layout already leaves out the configuration, Share, Export, the tabs and the footer." })]),
      ]),
      el("div", { class: "embed-out" }, [
        el("label", { for: "embed-code", text: "Code" }), code,
        el("p", { class: "hint", id: "embed-code-hint", text: "The link holds the whole configuration (no uploaded data)." }),
        el("div", { class: "s-actions" }, [copy, close]), status,
        el("div", { class: "embed-preview-box" }, [preview]),
      ]),
    ]),
  );
  document.body.append(dialog);

  /** The options the boxes say now. */
  const options = () => ({
    compact: compact.checked,
    autoplay: autoplay.checked,
    hide: C.HIDE_KEYS.filter((_, i) => hideBoxes[i][0].checked),
    width: clampSize("width", width.value),
    height: clampSize("height", height.value),
  });
  const codeFor = (o = options()) => iframeCode(embedUrl(S.state, o), o.width, o.height);

  let previewTimer = null;
  function update({ now = false } = {}) {
    const o = options();
    const url = embedUrl(S.state, o);
    code.value = iframeCode(url, o.width, o.height);
    status.textContent = "";
    // The preview is the code's frame: same URL and size (a new page load, so the
    // boxes' changes are gathered for a moment first).
    clearTimeout(previewTimer);
    const load = () => {
      preview.width = o.width;
      preview.height = o.height;
      if (preview.getAttribute("src") !== url) preview.src = url;
    };
    if (now) load();
    else previewTimer = setTimeout(load, 400);
  }
  for (const input of [compact, autoplay, width, height, ...hideBoxes.map(([i]) => i)]) input.addEventListener("input", () => update());
  for (const input of [width, height]) input.addEventListener("change", () => {
    input.value = clampSize(input.id === "embed-width" ? "width" : "height", input.value);
    update();
  });

  copy.addEventListener("click", async () => {
    code.select();
    try {
      await navigator.clipboard.writeText(code.value);
      status.textContent = "Copied.";
    } catch {
      status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
    }
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    clearTimeout(previewTimer);
    preview.src = "about:blank"; // the preview's run stops with the dialog
    open.focus();
  });
  open.addEventListener("click", () => {
    // The boxes start from the page's own options (a page opened with `_hide` keys).
    hideBoxes.forEach(([input], i) => (input.checked = S.state.page.hide.has(C.HIDE_KEYS[i])));
    dialog.showModal();
    update({ now: true });
  });

  Object.assign(app, { embedCode: (o = {}) => codeFor({ ...options(), ...o }) });
}
