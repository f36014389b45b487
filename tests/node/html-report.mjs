// The HTML report in a real browser (the system's Chromium, driven by
// playwright-core). Run by crates/rcaudit-cli/tests/browser.rs; by hand:
//
//   node tests/node/html-report.mjs check REPORT.html REPORT.json SNAPSHOT.json OUTDIR
//   node tests/node/html-report.mjs hostile REPORT.html MARKER
//   node tests/node/html-report.mjs measure REPORT.html [RUNS]
//
// `check` compares the page with the JSON report of the same run and with
// the snapshot: counts, filtering by each rule, an extension's findings,
// sorting, text search, links to rule docs, keyboard entry, accessibility
// (axe-core, WCAG 2.1 A and AA), and that nothing is fetched from the
// network; it writes screenshots to OUTDIR. `hostile` opens a report of a
// snapshot full of markup and script and checks none of it acts. `measure`
// prints the time to first render. Exits 1 with every problem listed.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const executablePath = process.env.RCAUDIT_CHROMIUM || "/usr/bin/chromium";
const problems = [];
const expect = (ok, what) => { if (!ok) problems.push(what); };

/** Opens a report; records every request, script error and dialog. */
async function open(browser, file, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const seen = { requests: [], errors: [] };
  page.on("request", r => { if (r.url() !== url) seen.requests.push(r.url()); });
  page.on("pageerror", e => seen.errors.push("script error: " + e.message));
  page.on("console", m => { if (m.type() === "error") seen.errors.push("console: " + m.text()); });
  page.on("dialog", d => { seen.errors.push("a dialog opened: " + d.message()); d.dismiss(); });
  const started = Date.now();
  await page.goto(url);
  await page.waitForSelector("body[data-ready]", { timeout: 120000 });
  seen.readyMs = Date.now() - started;
  return { context, page, seen };
}

function quiet(seen, what) {
  const some = list => list.slice(0, 3).map(t => t.slice(0, 240)).join("; ")
    + (list.length > 3 ? ` and ${list.length - 3} more` : "");
  expect(seen.requests.length === 0, `${what}: the page requested ${some(seen.requests)}`);
  expect(seen.errors.length === 0, `${what}: ${some(seen.errors)}`);
}

/** Every row of the findings table, across its pages: data-index values. */
async function allRows(page) {
  const rows = [];
  for (;;) {
    rows.push(...await page.$$eval("#findings-table tbody tr", trs => trs.map(tr => Number(tr.dataset.index))));
    const next = await page.$("#findings-pager button:last-child:not([disabled])");
    if (!next) return rows;
    await next.click();
  }
}

async function matches(page) {
  return Number(await page.getAttribute("#findings-status", "data-matches"));
}

/** Waits for the debounced filters to have drawn `expected` matches. */
async function typeInto(page, selector, text) {
  await page.fill(selector, text);
  await page.waitForTimeout(400);
}

/** Which extension each JSON finding is about, worked out from the snapshot. */
function extensionOf(snapshot, pointer) {
  const [, list, index] = pointer.split("/");
  if (list === "extensions") return Number(index);
  if (list === "phoneNumbers") {
    const id = snapshot.phoneNumbers?.[Number(index)]?.extension?.id;
    if (id === undefined) return -1;
    return (snapshot.extensions || []).findIndex(e => String(e.id) === String(id));
  }
  return -1;
}

async function checkCounts(page, json) {
  const s = json.summary;
  const cell = async (row, column) =>
    Number(await page.textContent(`#counts tr[data-row="${row}"] td[data-count="${column}"]`));
  expect(await cell("all", "error") === s.error, "errors differ from the JSON report");
  expect(await cell("all", "warning") === s.warning, "warnings differ from the JSON report");
  expect(await cell("all", "info") === s.info, "info findings differ from the JSON report");
  expect(await cell("all", "total") === s.findings, "the total differs from the JSON report");
  expect(await cell("counted", "total") === s.counted, "counted findings differ from the JSON report");
  expect(await cell("waived", "total") === s.waived, "waived findings differ from the JSON report");
  const meta = await page.textContent("header .meta");
  expect(meta.includes(`${s.rulesRun} of ${s.rulesEnabled} rules ran`), `rules run: ${meta}`);
  expect(await matches(page) === s.findings, "the findings table does not start with every finding");
  const failing = json.findings.filter(f => f.severity === "error" && !f.suppressed && f.baseline !== "old");
  const fails = await page.getAttribute("#verdict", "data-fails");
  expect(fails === String(failing.length > 0), `verdict data-fails=${fails} with ${failing.length} counted errors`);
}

/** Filtering by a rule shows exactly its findings, for every rule. */
async function checkRuleFilter(page, json) {
  const ids = await page.$$eval("#f-rule option", os => os.map(o => o.value).filter(Boolean));
  expect(ids.length === json.summary.rulesEnabled, `the rule filter lists ${ids.length} rules`);
  for (const id of ids) {
    await page.selectOption("#f-rule", id);
    const rows = await allRows(page);
    const expected = json.findings.flatMap((f, i) => f.ruleId === id ? [i] : []);
    expect(JSON.stringify(rows.sort((a, b) => a - b)) === JSON.stringify(expected),
      `filtering by ${id} shows findings ${rows} instead of ${expected}`);
    expect(await matches(page) === expected.length, `filtering by ${id}: wrong count`);
  }
  await page.selectOption("#f-rule", "");
}

/** Opening the extension with the most findings shows exactly those. */
async function checkExtension(page, json, snapshot, out) {
  const about = json.findings.map(f => extensionOf(snapshot, f.pointer));
  const counts = new Map();
  about.forEach(e => { if (e >= 0) counts.set(e, (counts.get(e) || 0) + 1); });
  const [target] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0] || [];
  if (target === undefined) return;
  const number = snapshot.extensions[target].extensionNumber;
  await typeInto(page, "#e-text", number);
  await page.click(`#extensions-table tr[data-extension="${target}"] button`);
  await page.waitForSelector("#extension-detail:not([hidden])");
  const shown = await page.$$eval("#extension-findings tbody tr", trs => trs.map(tr => Number(tr.dataset.index)));
  const expected = about.flatMap((e, i) => e === target ? [i] : []);
  expect(JSON.stringify(shown) === JSON.stringify(expected),
    `extension ${number} shows findings ${shown} instead of ${expected}`);
  const focused = await page.evaluate(() => document.activeElement?.id);
  expect(focused === "extension-detail-h", `opening an extension focuses ${focused}`);
  await page.screenshot({ path: join(out, "extension.png") });
  // An extension without findings says so.
  const clean = snapshot.extensions.findIndex((_, i) => !counts.has(i));
  if (clean >= 0) {
    await page.evaluate(i => { location.hash = "#ext-" + i; }, clean);
    await page.waitForSelector(`#extension-detail[data-extension="${clean}"]`);
    expect((await page.textContent("#extension-detail")).includes("No findings."),
      "an extension without findings does not say so");
  }
  await typeInto(page, "#e-text", "");
}

/** The state filter: counted, waived, in the baseline, as the JSON says. */
async function checkStates(page, json) {
  const states = {
    counted: f => !f.suppressed && f.baseline !== "old",
    waived: f => Boolean(f.suppressed),
    baseline: f => !f.suppressed && f.baseline === "old",
  };
  for (const [state, keep] of Object.entries(states)) {
    await page.selectOption("#f-state", state);
    const expected = json.findings.flatMap((f, i) => keep(f) ? [i] : []);
    const rows = (await allRows(page)).sort((a, b) => a - b);
    expect(JSON.stringify(rows) === JSON.stringify(expected), `state ${state} shows ${rows}, not ${expected}`);
  }
  await page.selectOption("#f-state", "waived");
  const waived = await page.$$eval("#findings-table tbody tr td:last-child", tds => tds.map(td => td.textContent));
  expect(waived.every(t => t.startsWith("waived: ")), `waived rows say ${waived}`);
  await page.selectOption("#f-state", "");
}

async function checkTableTools(page, json) {
  // Sorting by severity, both ways.
  const severities = async () => page.$$eval("#findings-table tbody tr td:first-child", tds => tds.map(td => td.textContent));
  const order = ["error", "warning", "info"];
  const sorted = list => list.every((s, i) => i === 0 || order.indexOf(list[i - 1]) <= order.indexOf(s));
  await page.click("#findings-table th[data-sort=severity] button");
  expect(sorted(await severities()), "sorting by severity does not sort");
  expect(await page.getAttribute("#findings-table th[data-sort=severity]", "aria-sort") === "ascending",
    "the sorted column does not say so (aria-sort)");
  await page.click("#findings-table th[data-sort=severity] button");
  expect(sorted((await severities()).reverse()), "sorting by severity again does not reverse");
  // Text search finds a fingerprint.
  if (json.findings.length > 0) {
    const fingerprint = json.findings[0].fingerprint;
    await typeInto(page, "#f-text", fingerprint);
    const needle = fingerprint.toLowerCase();
    const expected = json.findings.filter(f =>
      [f.message, f.pointer, f.fingerprint].some(t => t.toLowerCase().includes(needle))).length;
    expect(await matches(page) === expected, `searching ${fingerprint}: ${await matches(page)}, not ${expected}`);
    await page.click("#filters button[type=reset]");
    await page.waitForTimeout(100);
    // A rule link opens that rule's documentation.
    const link = await page.$("#findings-table tbody tr a.rule");
    const href = await link.getAttribute("href");
    await link.click();
    const open = await page.$eval(href, d => d.open && d.getBoundingClientRect().top < innerHeight);
    expect(open, `following ${href} does not open the rule's documentation in view`);
  }
  // The keyboard: the first Tab reaches the skip link, which leads to the findings.
  await page.evaluate(() => history.replaceState(null, "", "#"));
  await page.reload();
  await page.waitForSelector("body[data-ready]");
  await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.className) === "skip", "the first Tab does not reach the skip link");
  await page.keyboard.press("Enter");
  expect(await page.evaluate(() => location.hash) === "#findings", "the skip link does not lead to the findings");
}

/** axe-core's WCAG 2.1 A and AA rules, run on the page as it is now. */
async function checkAccessibility(browser, file, what, prepare) {
  // Inject axe into the page: the report's own policy forbids other
  // scripts, so this one context bypasses it.
  const { context, page } = await open(browser, file, { bypassCSP: true });
  if (prepare) await prepare(page);
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return result.violations.map(v => `${v.id} (${v.impact}): ${v.nodes.length} element(s), first ${v.nodes[0].target}`);
  });
  expect(violations.length === 0, `accessibility, ${what}: ${violations.join("; ")}`);
  await context.close();
}

async function check([html, jsonFile, snapshotFile, out]) {
  mkdirSync(out, { recursive: true });
  const json = JSON.parse(readFileSync(jsonFile, "utf8"));
  const snapshot = JSON.parse(readFileSync(snapshotFile, "utf8"));
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const { page, seen } = await open(browser, html);
    await page.screenshot({ path: join(out, "report.png") });
    await checkCounts(page, json);
    await checkRuleFilter(page, json);
    await checkStates(page, json);
    await checkExtension(page, json, snapshot, out);
    await checkTableTools(page, json);
    quiet(seen, "the report");
    await checkAccessibility(browser, html, "as opened");
    await checkAccessibility(browser, html, "with an extension open", async page => {
      await page.click("#extensions-table tbody tr button");
      await page.waitForSelector("#extension-detail:not([hidden])");
    });
  } finally {
    await browser.close();
  }
}

async function hostile([html, marker]) {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const { page, seen } = await open(browser, html);
    await page.click("#extensions-table tbody tr button");
    await page.waitForSelector("#extension-detail:not([hidden])");
    await page.click("details.rule-doc summary");
    const state = await page.evaluate(() => ({
      pwned: window.pwned === true,
      elements: document.querySelectorAll("img, iframe, object, embed, svg script, form[action]").length,
      handlers: [...document.querySelectorAll("*")].filter(e => [...e.attributes].some(a => a.name.startsWith("on"))).length,
      scripts: document.scripts.length,
      links: [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href"))
        .filter(h => !h.startsWith("#") && !/^https?:\/\//i.test(h)),
      text: document.body.innerText,
    }));
    expect(!state.pwned, "a script from the data ran");
    expect(state.elements === 0, `${state.elements} element(s) from the data became markup`);
    expect(state.handlers === 0, `${state.handlers} element(s) carry event handlers`);
    expect(state.scripts === 2, `${state.scripts} script elements, not the report's two`);
    expect(state.links.length === 0, `links that lead out of the page or run script: ${state.links.join(", ")}`);
    expect(state.text.includes(marker), `the data's text (${marker}) is not shown as text`);
    quiet(seen, "the hostile report");
  } finally {
    await browser.close();
  }
}

async function measure([html, runs = "5"]) {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  const times = [];
  const filters = [];
  try {
    for (let i = 0; i < Number(runs); i++) {
      // From navigation to the table and the extensions drawn.
      const { context, page, seen } = await open(browser, html);
      times.push(seen.readyMs);
      const rule = await page.$eval("#f-rule option:nth-child(2)", o => o.value);
      const started = Date.now();
      await page.selectOption("#f-rule", rule);
      filters.push(Date.now() - started);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const median = list => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  console.log(JSON.stringify({ bytes: statSync(html).size, firstRenderMs: times, medianFirstRenderMs: median(times), filterByRuleMs: filters, medianFilterMs: median(filters) }));
}

const [mode, ...args] = process.argv.slice(2);
const modes = { check, hostile, measure };
if (!modes[mode]) {
  console.error("usage: html-report.mjs check|hostile|measure ...");
  process.exit(2);
}
await modes[mode](args);
if (problems.length > 0) {
  console.error(problems.map(p => "- " + p).join("\n"));
  process.exit(1);
}
