// What a creator pastes into their site: the button, the [Flattr=id] text tag, <link rel="payment">,
// and the QR code as SVG and PNG.

import { ctx, h, pageUrl } from "./app.js";

export const pagesBase = () => (ctx.config.pages || location.origin).replace(/\/$/, "");
export const apiBase = () => ctx.api || location.origin;
export const qrUrl = (id) => `${apiBase()}/things/${id}/qr.svg`;

export function snippetsOf(thing) {
  const widget = ctx.config.widget || `${pagesBase()}/widget.js`;
  const payment = new URL(`${apiBase()}/submit/auto`);
  payment.search = new URLSearchParams({ user_id: thing.owner.user_id, url: thing.url, title: thing.title }).toString();
  return [
    ["Flattr button (HTML)", `<script src="${widget}" async></script>\n<div class="flattr-button" data-thing-id="${thing.id}"></div>`],
    ["Text tag, for any text", `[Flattr=${thing.id}]`],
    ["Payment link, in your page's <head>", `<link rel="payment" href="${payment.href.replace(/&/g, "&amp;")}">`],
    ["Link to its Flattr page", `${pagesBase()}/${pageUrl("thing.html", { id: thing.id })}`],
  ];
}

async function copy(text, area) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    area.select();
    document.execCommand("copy");
  }
}

export function snippetBlock(thing) {
  const out = [];
  snippetsOf(thing).forEach(([label, text], i) => {
    const id = `snippet-${thing.id}-${i}`;
    const area = h("textarea", { id, readonly: true, rows: text.includes("\n") ? 2 : 1 }, text);
    const said = h("span", { class: "status", role: "status" });
    const button = h("button", { type: "button", "aria-label": `Copy: ${label}` }, "Copy");
    button.addEventListener("click", async () => { await copy(text, area); said.textContent = "Copied."; });
    out.push(h("div", { class: "snippet" }, h("label", { for: id }, label), area, h("div", { class: "row" }, button, said)));
  });
  return out;
}

/** The QR code as an image, with SVG and PNG downloads (the PNG is drawn from the SVG here). */
export function qrBlock(thing) {
  const img = h("img", { class: "qr", src: qrUrl(thing.id), alt: `QR code that opens the Flattr page of “${thing.title}”`, width: 164, height: 164, crossorigin: "anonymous" });
  const png = h("button", { type: "button" }, "Download PNG");
  png.addEventListener("click", () => {
    const canvas = h("canvas", { width: 492, height: 492 });
    const g = canvas.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, 492, 492);
    g.imageSmoothingEnabled = false;
    g.drawImage(img, 0, 0, 492, 492);
    canvas.toBlob((blob) => {
      const a = h("a", { href: URL.createObjectURL(blob), download: `flattr-${thing.id}.png` });
      document.body.append(a);
      a.click();
      a.remove();
    }, "image/png");
  });
  return h("div", { class: "qr-block" }, img,
    h("p", { class: "row" }, h("a", { class: "button", href: qrUrl(thing.id), download: `flattr-${thing.id}.svg` }, "Download SVG"), png));
}
