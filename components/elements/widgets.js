// The widgets partners embed on their websites, as vanilla custom elements in
// Shadow DOM: <gl-price-table>, <gl-zone-picker> and <gl-estimator>. Each
// renders the same markup as the server-rendered templ components of
// package components; an element the portal rendered with a declarative
// shadow root is upgraded in place, reusing that root.
//
// Every element reads the zones and prices of the partner whose host serves
// this bundle, from its public catalogue (or, when the portal set
// data-catalogue, from that same-origin URL), and is themed by the partner's
// custom properties (theme.css) and the --gl-* properties of docs/widgets.md.
import en from "../locales/en.json";
import fr from "../locales/fr.json";

const WORDS = { en, fr };
const PERIODS = ["hour", "day", "30-days"];
const BASE = new URL("v1/", import.meta.url);
const cache = new Map();

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// words returns a translator for lang; {{.Value}} takes the value.
const words = (lang) => (id, value) =>
  (WORDS[lang] || en)[id]?.replace("{{.Value}}", value ?? "") ?? id;

// money formats a decimal string with Intl, exactly (no float).
const money = (lang, currency, amount) =>
  new Intl.NumberFormat(lang, {
    style: "currency",
    currency,
    currencyDisplay: "narrowSymbol",
    minimumFractionDigits: 2,
    maximumFractionDigits: 4,
  }).format(amount);

// times multiplies a decimal string by an integer, exactly.
const times = (amount, n) => {
  const [i, f = ""] = String(amount).split(".");
  const v = BigInt(i + f) * BigInt(n), neg = v < 0n, d = f.length;
  const s = (neg ? -v : v).toString().padStart(d + 1, "0");
  return (neg ? "-" : "") + (d ? s.slice(0, -d) + "." + s.slice(-d) : s);
};

// load fetches a catalogue once per URL. The public catalogue is fetched
// without credentials; the portal's own pages name a same-origin one.
function load(url, own) {
  let p = cache.get(url);
  if (!p) {
    p = fetch(url, { credentials: own ? "same-origin" : "omit", headers: { Accept: "application/json" } }).then(
      async (r) => {
        const body = await r.json().catch(() => ({}));
        if (!r.ok) throw body;
        return body;
      },
    );
    p.catch(() => cache.delete(url));
    cache.set(url, p);
  }
  return p;
}

// plans lists a product's plans, or every runtime size once for "".
const plans = (cat, product) => {
  if (product) return cat.products.find((p) => p.id === product)?.plans;
  const seen = new Set();
  return cat.products.filter((p) => p.kind === "runtime").flatMap((p) => p.plans.filter((x) => !seen.has(x.id) && seen.add(x.id)));
};

class Widget extends HTMLElement {
  static observedAttributes = ["zone", "currency", "lang", "product", "period", "plan", "quantity"];

  connectedCallback() {
    // A declarative shadow root is kept: the element upgrades in place.
    this.root = this.shadowRoot || this.attachShadow({ mode: "open" });
    if (!this.root.querySelector(".gl")) {
      // The portal's own pages theme :root; a partner's site gets the
      // partner's theme on the shadow root.
      const css = (f) => `<link rel="stylesheet" crossorigin="anonymous" href="${esc(new URL(f, BASE))}">`;
      this.root.innerHTML = (this.dataset.catalogue ? "" : css("theme.css")) + css("widgets.css") + `<div class="gl" part="root"></div>`;
    }
    this.box = this.root.querySelector(".gl");
    // A server-rendered widget shows its product already.
    if (this.box.dataset.state === "loaded") this.seen = this.getAttribute("product");
    this.root.addEventListener("change", this);
    this.root.addEventListener("input", this);
    this.root.addEventListener("click", this);
    this.onZone = (e) => e.target !== this && this.setAttribute("zone", e.detail.zone);
    document.addEventListener("gl-zone-change", this.onZone);
    this.wire?.();
    this.ready = true;
    if (this.box.dataset.state !== "loaded") this.refresh();
  }

  disconnectedCallback() {
    document.removeEventListener("gl-zone-change", this.onZone);
    this.unwire?.();
  }

  attributeChangedCallback(name, old, value) {
    if (this.ready && old !== value) this.refresh();
  }

  get language() {
    return this.getAttribute("lang") || this.cat?.lang || document.documentElement.lang || "en";
  }

  t(id, value) {
    return words(WORDS[this.language] ? this.language : this.cat?.lang || "en")(id, value);
  }

  show(state, html = "") {
    this.box.dataset.state = state;
    if (this.cat && state === "loaded") this.box.dataset.zone = this.cat.zone;
    this.box.innerHTML =
      state === "loading"
        ? `<p class="loading" role="status">${esc(this.t("widget.loading"))}</p>`
        : state === "error"
          ? `<p class="error" role="alert">${esc(html)}</p>`
          : html;
  }

  fail(id, value) {
    this.show("error", this.t(id, value));
  }

  // check returns the first malformed attribute as [message id, value].
  check() {
    const lang = this.getAttribute("lang"), period = this.getAttribute("period");
    if (lang && !WORDS[lang]) return ["widget.error.lang", lang];
    if (period && !PERIODS.includes(period)) return ["widget.error.period", period];
  }

  async refresh() {
    const bad = this.check();
    if (bad) return this.fail(...bad);
    const q = new URLSearchParams();
    for (const k of ["zone", "currency", "lang"]) {
      const v = this.getAttribute(k);
      if (v) q.set(k, v);
    }
    const own = this.dataset.catalogue;
    const url = new URL(own || "catalogue", own ? location.href : BASE);
    url.search = q;
    if (!this.cat) this.show("loading");
    // Only the newest request paints: an older answer arriving late (a zone
    // chosen, then another) is dropped.
    const seq = (this.seq = (this.seq || 0) + 1);
    let cat;
    try {
      cat = await load(url.href, !!own);
    } catch (e) {
      if (seq !== this.seq) return;
      this.cat = null;
      const known = e && WORDS.en[e.id] && e.field;
      return known ? this.fail(e.id, this.getAttribute(e.field)) : this.fail("widget.error.load");
    }
    if (seq !== this.seq) return;
    this.cat = cat;
    const product = this.getAttribute("product");
    if (product && !plans(this.cat, product)) {
      // A product shown before is just not sold in this zone; one never
      // seen is a mistake in the attribute.
      if (this.seen !== product) return this.fail("widget.error.product", product);
      return this.show("loaded", `<p class="empty">${esc(this.t("widget.empty"))}</p>`);
    }
    this.seen = product || this.seen;
    try {
      this.render();
    } catch {
      this.fail("widget.error.load");
    }
  }

  fmt(amount) {
    return amount ? money(WORDS[this.language] ? this.language : this.cat.lang, this.cat.currency, amount) : "—";
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}

class PriceTable extends Widget {
  render() {
    const cat = this.cat, product = this.getAttribute("product") || "", period = this.getAttribute("period");
    const periods = period ? [period] : PERIODS;
    const list = plans(cat, product);
    if (!list.length) return this.show("loaded", `<p class="empty">${esc(this.t("widget.empty"))}</p>`);
    const sel = this.hasAttribute("selectable");
    const head = periods.map((p) => `<th scope="col" class="num" data-period="${p}">${esc(this.t("widget.per." + p))}</th>`).join("");
    const rows = list
      .map(
        (pl) =>
          `<tr data-plan="${esc(pl.id)}"><th scope="row">` +
          (sel ? `<button type="button" class="plan" data-plan="${esc(pl.id)}">${esc(pl.name)}</button>` : `<span class="plan">${esc(pl.name)}</span>`) +
          (pl.detail ? `<span class="detail">${esc(pl.detail)}</span>` : "") +
          `</th>` +
          periods.map((p) => `<td class="num" data-period="${p}">${esc(this.fmt(pl.price[p]))}</td>`).join("") +
          `</tr>`,
      )
      .join("");
    this.show("loaded", `<table class="${period ? "one" : "all"}"><thead><tr><th scope="col">${esc(this.t("widget.plan"))}</th>${head}</tr></thead><tbody>${rows}</tbody></table>`);
  }

  handleEvent(e) {
    const b = e.type === "click" && e.target.closest?.("button.plan");
    if (!b || !this.cat) return;
    const product = this.getAttribute("product") || "", plan = plans(this.cat, product).find((p) => p.id === b.dataset.plan);
    this.emit("gl-plan-select", { zone: this.cat.zone, currency: this.cat.currency, product, plan: plan.id, name: plan.name, price: plan.price });
  }
}

class ZonePicker extends Widget {
  wire() {
    const b = this.root.querySelector("button.show");
    if (b) b.hidden = true; // each choice applies at once
  }

  render() {
    const z = this.cat.zone;
    const radios = this.cat.zones
      .map(
        (x) =>
          `<label><input type="radio" name="zone" value="${esc(x.id)}"${x.id === z ? " checked" : ""}><span>${esc(x.city)}</span> <span class="code">${esc(x.id)}</span></label>`,
      )
      .join("");
    const focused = this.root.activeElement?.value;
    this.show("loaded", `<fieldset><legend>${esc(this.t("widget.zones"))}</legend><div class="zones">${radios}</div></fieldset>`);
    if (focused) this.root.querySelector(`input[value="${CSS.escape(focused)}"]`)?.focus();
  }

  handleEvent(e) {
    if (e.type !== "change" || e.target.name !== "zone") return;
    const zone = e.target.value;
    this.setAttribute("zone", zone);
    const info = this.cat?.zones.find((x) => x.id === zone);
    this.emit("gl-zone-change", { zone, city: info?.city, country: info?.country });
  }
}

class Estimator extends Widget {
  // wire follows the page form the estimator is for, if any.
  wire() {
    const form = this.getAttribute("form") && document.getElementById(this.getAttribute("form"));
    if (!form) return;
    this.form = form;
    this.onForm = () => {
      const f = new FormData(form);
      const set = (k, v) => v != null && v !== "" && this.setAttribute(k, v);
      set("zone", f.get("zone"));
      set("plan", f.get("flavor") ?? f.get("plan"));
      set("quantity", f.get("instances"));
      if (form.elements.runtime) set("product", f.get("runtime"));
      if (form.elements.provider) set("product", f.get("provider"));
    };
    form.addEventListener("change", this.onForm);
    form.addEventListener("input", this.onForm);
  }

  unwire() {
    this.form?.removeEventListener("change", this.onForm);
    this.form?.removeEventListener("input", this.onForm);
  }

  check() {
    const q = this.getAttribute("quantity");
    if (q && !/^[1-9][0-9]{0,2}$/.test(q)) return ["widget.error.quantity", q];
    return super.check();
  }

  render() {
    const product = this.getAttribute("product") || "", list = plans(this.cat, product);
    const period = this.getAttribute("period") || "30-days", qty = +(this.getAttribute("quantity") || 1);
    let plan = list.find((p) => p.id === this.getAttribute("plan"));
    if (!plan && list.length && !this.form) plan = list[0];
    const total = plan ? times(plan.price[period], qty) : "";
    const controls = this.form
      ? ""
      : `<div class="controls"><label>${esc(this.t("widget.plan"))}<select name="plan">` +
        list.map((p) => `<option value="${esc(p.id)}"${p === plan ? " selected" : ""}>${esc(p.name)}</option>`).join("") +
        `</select></label><label>${esc(this.t("widget.quantity"))}<input type="number" name="quantity" min="1" max="100" value="${qty}"></label></div>`;
    const out = `<p class="total" role="status"><span class="label">${esc(this.t("widget.total"))}</span> <strong class="amount">${esc(this.fmt(total))}</strong> <span class="period">${esc(this.t("widget.per." + period))}</span></p>`;
    const keep = this.root.querySelector(".controls");
    if (keep && !this.form && this.box.dataset.state === "loaded" && this.kept === list) {
      // Keep the controls (and the caret in them); update the total only.
      this.box.querySelector(".total").outerHTML = out;
    } else this.show("loaded", controls + out);
    this.kept = list;
    this.emit("gl-estimate-change", { zone: this.cat.zone, currency: this.cat.currency, product, plan: plan?.id, quantity: qty, period, total });
  }

  handleEvent(e) {
    const n = e.target.name;
    if (e.type === "click" || this.form || (n !== "plan" && n !== "quantity")) return;
    if (e.target.validity && !e.target.validity.valid) return;
    this.setAttribute(n, e.target.value);
  }
}

// The estimator follows a plan chosen in a price table of the page.
document.addEventListener("gl-plan-select", (e) => {
  for (const est of document.querySelectorAll("gl-estimator:not([form])")) {
    if ((est.getAttribute("product") || "") === e.detail.product) est.setAttribute("plan", e.detail.plan);
  }
});

for (const [name, cls] of [["gl-price-table", PriceTable], ["gl-zone-picker", ZonePicker], ["gl-estimator", Estimator]]) {
  if (!customElements.get(name)) customElements.define(name, cls);
}
