// png.ts - a part of the page as a PNG image, made in the browser: the element is
// copied with every computed style written inline (so the theme's variables and the
// stylesheet come along), drawn as an SVG <foreignObject> onto a canvas, and read
// back. Nothing leaves the machine; no library.

/** Styles not worth copying: they only matter for interaction or are recomputed. */
const SKIP = /^(transition|animation|cursor|pointer-events|user-select|will-change|caret|-webkit-tap)/;

/** Every computed style of from written inline on its copy to, and the same for their children. */
function inlineStyles(from: Element, to: Element) {
  const cs = getComputedStyle(from);
  const decl: string[] = [];
  for (let i = 0; i < cs.length; i++) {
    const p = cs[i];
    if (!SKIP.test(p)) decl.push(`${p}:${cs.getPropertyValue(p)}`);
  }
  to.setAttribute('style', decl.join(';'));
  /* what a control shows is its live value, which a copy of the markup does not carry */
  if (from instanceof HTMLInputElement) to.setAttribute('value', from.value);
  else if (from instanceof HTMLTextAreaElement) to.textContent = from.value;
  else if (from instanceof HTMLSelectElement)
    Array.from(to.querySelectorAll('option')).forEach((o, i) => (i === from.selectedIndex ? o.setAttribute('selected', '') : o.removeAttribute('selected')));
  const a = from.children, b = to.children;
  for (let i = 0; i < a.length && i < b.length; i++) inlineStyles(a[i], b[i]);
}

/** What the copy must not carry: buttons and other controls that do nothing in a picture, messages, scroll bars. */
function strip(root: HTMLElement) {
  root.querySelectorAll('button, [data-no-export], [role="status"], [role="alert"]').forEach((e) => e.remove());
  for (const e of [root, ...root.querySelectorAll<HTMLElement>('*')])
    if (/auto|scroll/.test(e.style.overflowX + e.style.overflowY)) e.style.overflow = 'hidden';
}

/** The element as it is shown now, as a PNG (scale: device pixels per CSS pixel) with a margin of pad CSS pixels. */
export async function elementPng(el: HTMLElement, scale = 2, pad = 16): Promise<Blob> {
  const rect = el.getBoundingClientRect();
  const w = Math.ceil(Math.max(el.scrollWidth, rect.width)) + 2 * pad;
  const h = Math.ceil(Math.max(el.scrollHeight, rect.height)) + 2 * pad;
  const copy = el.cloneNode(true) as HTMLElement;
  inlineStyles(el, copy);
  strip(copy);
  copy.style.margin = '0';
  /* the page's background, so that a transparent part is not black in a viewer */
  const bg = getComputedStyle(document.body).backgroundColor;
  const xhtml = new XMLSerializer().serializeToString(copy);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">` +
    `<foreignObject x="0" y="0" width="100%" height="100%">` +
    `<div xmlns="http://www.w3.org/1999/xhtml" style="background:${bg};width:${w}px;height:${h}px;padding:${pad}px;box-sizing:border-box">${xhtml}</div>` +
    `</foreignObject></svg>`;
  const img = new Image();
  img.decoding = 'sync';
  await new Promise<void>((resolve, reject) => {
    img.onload = () => resolve();
    img.onerror = () => reject(new Error('the picture could not be drawn'));
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
  });
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  const ctx = canvas.getContext('2d')!;
  ctx.scale(scale, scale);
  ctx.drawImage(img, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the browser made no PNG'))), 'image/png'),
  );
}
