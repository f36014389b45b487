// rcaudit's HTML report: the findings table and the per-extension view,
// drawn a page at a time from the JSON document in #rcaudit-data, so a
// report with 100,000 findings opens as fast as one with ten.
//
// Every text comes from the snapshot or from rules: it reaches the page
// only as text nodes and attribute values (never as markup), and the only
// links made here point inside the page.
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("rcaudit-data").textContent);
  const SEVERITY = ["error", "warning", "info"];
  // Columns of a finding row and of an extension row (see html/data.rs).
  const F_RULE = 0, F_SEVERITY = 1, F_MESSAGE = 2, F_POINTER = 3, F_LINE = 4,
    F_COLUMN = 5, F_FINGERPRINT = 6, F_STATE = 7, F_EXTENSION = 8;
  const E_ID = 0, E_NUMBER = 1, E_NAME = 2, E_TYPE = 3, E_STATUS = 4,
    E_NUMBERS = 5, E_FORWARDING = 6;
  const R_ID = 0;
  const PAGE = 100;
  const EXTENSION_PAGE = 50;
  const { rules, findings, extensions, waivers } = data;

  /** An element with attributes and children (strings become text). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) {
        node.setAttribute(name, String(value));
      }
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  /** The element id of a rule's documentation (as `rule_anchor` in Rust). */
  function ruleAnchor(id) {
    let out = "rule-";
    for (const byte of new TextEncoder().encode(id)) {
      const c = String.fromCharCode(byte);
      out += /[A-Za-z0-9-]/.test(c) ? c : "_" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
    return out;
  }

  function ruleLink(ruleIndex) {
    const id = rules[ruleIndex][R_ID];
    return el("a", { href: "#" + ruleAnchor(id), class: "rule" }, id);
  }

  function extensionName(index) {
    const e = extensions[index];
    const number = e[E_NUMBER] ? "ext " + e[E_NUMBER] : "id " + e[E_ID];
    return e[E_NAME] ? number + " " + e[E_NAME] : number;
  }

  function stateText(finding) {
    const state = finding[F_STATE];
    if (state === 0) return data.baseline ? "new" : "counts";
    if (state === 1) return "in the baseline";
    const [reason, owner, expires] = waivers[state - 2];
    return "waived: " + reason + " (" + owner + (expires ? ", until " + expires : "") + ")";
  }

  function stateClass(finding) {
    const state = finding[F_STATE];
    return state === 0 ? "state-counts" : state === 1 ? "state-baseline" : "state-waived";
  }

  // Findings per extension, for the extension view.
  const byExtension = new Map();
  findings.forEach((f, i) => {
    if (f[F_EXTENSION] < 0) return;
    let list = byExtension.get(f[F_EXTENSION]);
    if (!list) byExtension.set(f[F_EXTENSION], (list = []));
    list.push(i);
  });

  function debounce(fn) {
    let timer = 0;
    return () => { clearTimeout(timer); timer = setTimeout(fn, 120); };
  }

  /** Previous / page n of m / next, calling `go` with a page number. */
  function pager(nav, page, pages, go, what) {
    nav.replaceChildren();
    if (pages <= 1) return;
    const prev = el("button", { type: "button", disabled: page === 0 }, "Previous");
    const next = el("button", { type: "button", disabled: page >= pages - 1 }, "Next");
    prev.setAttribute("aria-label", "Previous page of " + what);
    next.setAttribute("aria-label", "Next page of " + what);
    prev.addEventListener("click", () => go(page - 1));
    next.addEventListener("click", () => go(page + 1));
    nav.append(prev, el("span", {}, "Page " + (page + 1) + " of " + pages), next);
  }

  // ---- The findings table ------------------------------------------------

  const table = {
    body: document.querySelector("#findings-table tbody"),
    status: document.getElementById("findings-status"),
    pager: document.getElementById("findings-pager"),
    severity: document.getElementById("f-severity"),
    rule: document.getElementById("f-rule"),
    state: document.getElementById("f-state"),
    extension: document.getElementById("f-extension"),
    text: document.getElementById("f-text"),
    rows: [],
    page: 0,
    sort: null,
    descending: false,
  };
  const ruleIndexById = new Map(rules.map((r, i) => [r[R_ID], i]));
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  let lowered = null;

  function extensionMatches(index, query) {
    if (index < 0) return false;
    const e = extensions[index];
    return e[E_NUMBER].toLowerCase().includes(query) || e[E_NAME].toLowerCase().includes(query)
      || e[E_ID].toLowerCase() === query;
  }

  function filterFindings() {
    const severity = table.severity.value === "" ? -1 : Number(table.severity.value);
    const rule = table.rule.value === "" ? -1 : ruleIndexById.get(table.rule.value);
    const state = table.state.value;
    const extension = table.extension.value.trim().toLowerCase();
    const text = table.text.value.trim().toLowerCase();
    if (text && !lowered) {
      lowered = findings.map(f => (f[F_MESSAGE] + "\n" + f[F_POINTER] + "\n" + f[F_FINGERPRINT]).toLowerCase());
    }
    const rows = [];
    for (let i = 0; i < findings.length; i++) {
      const f = findings[i];
      if (severity >= 0 && f[F_SEVERITY] !== severity) continue;
      if (rule !== -1 && f[F_RULE] !== rule) continue;
      if (state === "counted" && f[F_STATE] !== 0) continue;
      if (state === "waived" && f[F_STATE] < 2) continue;
      if (state === "baseline" && f[F_STATE] !== 1) continue;
      if (extension && !extensionMatches(f[F_EXTENSION], extension)) continue;
      if (text && !lowered[i].includes(text)) continue;
      rows.push(i);
    }
    table.rows = rows;
    sortFindings();
    drawFindings(0);
  }

  const sortKeys = {
    severity: (a, b) => findings[a][F_SEVERITY] - findings[b][F_SEVERITY],
    rule: (a, b) => collator.compare(rules[findings[a][F_RULE]][R_ID], rules[findings[b][F_RULE]][R_ID]),
    extension: (a, b) => {
      const x = findings[a][F_EXTENSION], y = findings[b][F_EXTENSION];
      if (x < 0 || y < 0) return (x < 0) - (y < 0);
      return collator.compare(extensions[x][E_NUMBER], extensions[y][E_NUMBER]) || x - y;
    },
    line: (a, b) => findings[a][F_LINE] - findings[b][F_LINE] || findings[a][F_COLUMN] - findings[b][F_COLUMN],
  };

  function sortFindings() {
    if (!table.sort) return;
    const key = sortKeys[table.sort];
    const sign = table.descending ? -1 : 1;
    table.rows.sort((a, b) => sign * key(a, b) || a - b);
  }

  function findingRow(index) {
    const f = findings[index];
    const severity = SEVERITY[f[F_SEVERITY]];
    const extension = f[F_EXTENSION];
    const where = el("td", { class: "where" }, el("code", {}, f[F_POINTER] || "/"),
      f[F_LINE] ? " line " + f[F_LINE] + ":" + f[F_COLUMN] : "");
    let who;
    if (extension >= 0) {
      const button = el("button", { type: "button", class: "link", "data-extension": extension },
        extensionName(extension));
      button.addEventListener("click", () => openExtension(extension));
      who = el("td", {}, button);
    } else {
      who = el("td", { class: "none" }, "account");
    }
    return el("tr", { "data-index": index },
      el("td", { class: "sev-" + severity }, severity),
      el("td", {}, ruleLink(f[F_RULE])),
      el("td", { class: "msg" }, f[F_MESSAGE]),
      who,
      where,
      el("td", { class: "fingerprint" }, el("code", {}, f[F_FINGERPRINT])),
      el("td", { class: stateClass(f) }, stateText(f)));
  }

  function drawFindings(page) {
    const rows = table.rows;
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    table.page = Math.min(Math.max(0, page), pages - 1);
    const start = table.page * PAGE;
    const shown = rows.slice(start, start + PAGE);
    table.body.replaceChildren(...shown.map(findingRow));
    table.status.dataset.matches = String(rows.length);
    table.status.textContent = rows.length === 0
      ? (findings.length === 0 ? "No findings." : "No finding matches the filters.")
      : "Showing " + (start + 1) + "–" + (start + shown.length) + " of " + rows.length
        + " finding" + (rows.length === 1 ? "" : "s")
        + (rows.length === findings.length ? "." : " (of " + findings.length + ").");
    pager(table.pager, table.page, pages, p => {
      drawFindings(p);
      table.status.focus();
    }, "findings");
  }

  for (const th of document.querySelectorAll("#findings-table th[data-sort]")) {
    th.setAttribute("aria-sort", "none");
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.sort;
      table.descending = table.sort === key ? !table.descending : false;
      table.sort = key;
      for (const other of document.querySelectorAll("#findings-table th[data-sort]")) {
        other.setAttribute("aria-sort", other === th ? (table.descending ? "descending" : "ascending") : "none");
      }
      if (key) table.rows.sort((a, b) => a - b);
      sortFindings();
      drawFindings(0);
    });
  }
  table.status.tabIndex = -1;
  for (const select of [table.severity, table.rule, table.state]) {
    select.addEventListener("change", filterFindings);
  }
  const typed = debounce(filterFindings);
  table.extension.addEventListener("input", typed);
  table.text.addEventListener("input", typed);
  document.getElementById("filters").addEventListener("reset", () => setTimeout(filterFindings, 0));
  document.getElementById("filters").addEventListener("submit", e => e.preventDefault());

  /** Shows one rule's findings in the table (from its documentation). */
  function showRule(id) {
    document.getElementById("filters").reset();
    table.rule.value = id;
    filterFindings();
    document.getElementById("findings").scrollIntoView();
    table.status.focus();
  }
  for (const button of document.querySelectorAll("button.show-rule")) {
    button.addEventListener("click", () => showRule(button.dataset.rule));
  }

  // ---- The extensions ----------------------------------------------------

  const view = {
    body: document.querySelector("#extensions-table tbody"),
    status: document.getElementById("extensions-status"),
    pager: document.getElementById("extensions-pager"),
    text: document.getElementById("e-text"),
    withFindings: document.getElementById("e-with"),
    detail: document.getElementById("extension-detail"),
    rows: [],
  };

  function filterExtensions() {
    const query = view.text.value.trim().toLowerCase();
    const only = view.withFindings.checked;
    const rows = [];
    for (let i = 0; i < extensions.length; i++) {
      if (only && !byExtension.has(i)) continue;
      if (query) {
        const e = extensions[i];
        const hit = e[E_NUMBER].toLowerCase().includes(query) || e[E_NAME].toLowerCase().includes(query)
          || e[E_ID].toLowerCase().includes(query)
          || e[E_NUMBERS].some(n => n.toLowerCase().includes(query))
          || e[E_FORWARDING].some(n => n.toLowerCase().includes(query));
        if (!hit) continue;
      }
      rows.push(i);
    }
    view.rows = rows;
    drawExtensions(0);
  }

  function drawExtensions(page) {
    const rows = view.rows;
    const pages = Math.max(1, Math.ceil(rows.length / EXTENSION_PAGE));
    page = Math.min(Math.max(0, page), pages - 1);
    const start = page * EXTENSION_PAGE;
    const shown = rows.slice(start, start + EXTENSION_PAGE);
    view.body.replaceChildren(...shown.map(i => {
      const e = extensions[i];
      const open = el("button", { type: "button", class: "link", "data-extension": i },
        e[E_NUMBER] || "id " + e[E_ID]);
      open.addEventListener("click", () => openExtension(i));
      const count = (byExtension.get(i) || []).length;
      return el("tr", { "data-extension": i }, el("td", {}, open), el("td", {}, e[E_NAME]),
        el("td", {}, e[E_TYPE]), el("td", {}, e[E_STATUS]), el("td", {}, e[E_NUMBERS].join(", ")),
        el("td", {}, e[E_FORWARDING].join(", ")), el("td", {}, count));
    }));
    view.status.textContent = rows.length === 0 ? "No extension matches."
      : "Showing " + (start + 1) + "–" + (start + shown.length) + " of " + rows.length
        + " extension" + (rows.length === 1 ? "" : "s") + ".";
    pager(view.pager, page, pages, p => drawExtensions(p), "extensions");
  }

  /** Opens one extension: its details and every finding about it. */
  function openExtension(index) {
    const e = extensions[index];
    if (!e) return;
    const own = byExtension.get(index) || [];
    const heading = el("h3", { tabindex: -1, id: "extension-detail-h" }, "Extension " + extensionName(index).replace(/^ext /, ""));
    const close = el("button", { type: "button" }, "Close");
    close.addEventListener("click", () => { view.detail.hidden = true; });
    const facts = el("dl", { class: "facts" });
    for (const [label, value] of [["Id", e[E_ID]], ["Type", e[E_TYPE]], ["Status", e[E_STATUS]],
      ["Phone numbers", e[E_NUMBERS].join(", ") || "none"],
      ["Forwarding numbers", e[E_FORWARDING].join(", ") || "none"]]) {
      facts.append(el("dt", {}, label), el("dd", {}, value));
    }
    let list;
    if (own.length === 0) {
      list = el("p", { class: "none" }, "No findings.");
    } else {
      list = el("table", { class: "grid", id: "extension-findings" },
        el("caption", { class: "sr-only" }, "Findings about this extension"),
        el("thead", {}, el("tr", {}, ...["Severity", "Rule", "Message", "Where", "State"]
          .map(h => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...own.map(i => {
          const f = findings[i];
          return el("tr", { "data-index": i },
            el("td", { class: "sev-" + SEVERITY[f[F_SEVERITY]] }, SEVERITY[f[F_SEVERITY]]),
            el("td", {}, ruleLink(f[F_RULE])), el("td", { class: "msg" }, f[F_MESSAGE]),
            el("td", {}, el("code", {}, f[F_POINTER]), f[F_LINE] ? " line " + f[F_LINE] : ""),
            el("td", { class: stateClass(f) }, stateText(f)));
        })));
    }
    view.detail.replaceChildren(heading, facts,
      el("h4", {}, own.length + " finding" + (own.length === 1 ? "" : "s")), list, close);
    view.detail.hidden = false;
    view.detail.dataset.extension = String(index);
    history.replaceState(null, "", "#ext-" + index);
    view.detail.scrollIntoView({ block: "nearest" });
    heading.focus();
  }

  view.text.addEventListener("input", debounce(filterExtensions));
  view.withFindings.addEventListener("change", filterExtensions);
  document.getElementById("ext-filters").addEventListener("submit", e => e.preventDefault());

  // ---- Links into the page -------------------------------------------------

  function follow() {
    let hash = location.hash.slice(1);
    try {
      hash = decodeURIComponent(hash);
    } catch {
      // A malformed escape (`#100%`): the fragment as written.
    }
    const extension = /^ext-(\d+)$/.exec(hash);
    if (extension) {
      openExtension(Number(extension[1]));
      return;
    }
    const target = hash && document.getElementById(hash);
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.querySelector("summary").focus();
    }
  }
  window.addEventListener("hashchange", follow);

  filterFindings();
  filterExtensions();
  follow();
  document.body.dataset.ready = "true";
})();
