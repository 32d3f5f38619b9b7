// crosscheck result rendering, shared by the web page (app.js) and the browser extension (panel.js):
// the extension's build copies this file as it is, so both show a verdict the same way.
// Every string from the server goes in through textContent or an attribute: nothing is parsed as HTML.

export const STANCE_WORDS = { supports: "supports", conflicts: "conflicts", neutral: "neutral" };
export const VERDICT_WORDS = {
  supported: "Supported",
  refuted: "Refuted",
  conflicting: "Conflicting",
  not_enough_evidence: "Not enough evidence",
};
// What the confidence means, in one line under the verdict (docs/verdicts.md says how it is computed).
export const CONFIDENCE_MEANING =
  "Confidence (0–1) is how firmly the passages read decide this verdict, copies of one report counting " +
  "as one source; it is not the probability that the claim is true.";
const RELATION_WORDS = { copies: "Copies", copied_by: "Copied by", shares_text_with: "Shares text with" };
const KIND_WORDS = {
  number: "number", year: "year", duration: "duration", destination: "destination",
  origin: "origin", actor: "actor", role: "role",
};

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function bar(label, value, describe) {
  const row = el("div", "cc-score");
  const name = el("span", "cc-score-label", label);
  const track = el("span", "cc-bar");
  track.setAttribute("role", "meter");
  track.setAttribute("aria-valuemin", "0");
  track.setAttribute("aria-valuemax", "1");
  track.setAttribute("aria-valuenow", String(value));
  track.setAttribute("aria-label", `${label}: ${describe}`);
  const fill = el("span", "cc-bar-fill");
  fill.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;  // CSSOM, allowed by a strict CSP
  track.append(fill);
  row.append(name, track, el("span", "cc-score-value", describe));
  return row;
}

// The passage text with the highlighted spans (offsets into the passage) wrapped in <mark>.
function highlighted(text, highlights) {
  const container = el("p", "cc-passage-text");
  const spans = (highlights || [])
    .filter((h) => Number.isInteger(h.start) && Number.isInteger(h.end) && h.start < h.end && h.end <= text.length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue;  // overlaps one already marked
    if (span.start > at) container.append(document.createTextNode(text.slice(at, span.start)));
    const kind = KIND_WORDS[span.kind] || "detail";
    const mark = el("mark", "cc-hl", text.slice(span.start, span.end));
    mark.dataset.relation = span.relation;
    mark.dataset.kind = span.kind;
    mark.title = span.relation === "match" ? `${kind} matches the claim` : `${kind} differs from the claim`;
    container.append(mark);
    at = span.end;
  }
  if (at < text.length) container.append(document.createTextNode(text.slice(at)));
  return container;
}

function passageItem(passage) {
  const item = el("li", "cc-passage");
  item.dataset.stance = passage.stance;
  item.append(highlighted(passage.text, passage.highlights));
  item.append(bar("similarity", passage.similarity, passage.similarity.toFixed(2)));
  if (passage.stance !== "neutral") {
    item.append(bar(`${STANCE_WORDS[passage.stance]}`, passage.score, passage.score.toFixed(2)));
  }
  if (passage.reasons && passage.reasons.length) {
    const reasons = el("ul", "cc-reasons");
    for (const reason of passage.reasons) reasons.append(el("li", null, reason));
    item.append(reasons);
  }
  return item;
}

function isWebAddress(url) {
  return typeof url === "string" && /^https?:\/\//i.test(url);
}

// Which other sources this one shares reporting with (its story family), by title where the result has them.
function relationsList(source, titles) {
  const list = el("ul", "cc-relations");
  for (const [field, words] of Object.entries(RELATION_WORDS)) {
    const ids = source[field] || [];
    if (!ids.length) continue;
    const item = el("li", null, `${words}: `);
    item.dataset.relation = field;
    item.append(el("span", "cc-related", ids.map((id) => titles.get(id) || id).join("; ")));
    list.append(item);
  }
  return list.childElementCount ? list : null;
}

export function sourceCard(source, titles = new Map()) {
  const card = el("li", "cc-card");
  card.dataset.stance = source.stance;
  card.dataset.sourceId = source.source_id;

  const head = el("div", "cc-card-head");
  const badge = el("span", "cc-stance", STANCE_WORDS[source.stance] || source.stance);
  badge.dataset.stance = source.stance;
  const title = el("h3", "cc-card-title");
  if (isWebAddress(source.url)) {
    const link = el("a", null, source.title || source.source_id);
    link.href = source.url;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    title.append(link);
  } else {
    title.textContent = source.title || source.source_id;
  }
  const meta = el("span", "cc-card-meta");
  const date = el("time", "cc-date", source.published || "undated");
  if (source.published) date.dateTime = source.published;
  meta.append(date, document.createTextNode(source.language ? ` · ${source.language} · ` : " · "));
  meta.append(el("span", "cc-source-id", source.source_id));
  if (isWebAddress(source.url)) {
    const original = el("a", "cc-original", "original article");
    original.href = source.url;
    original.rel = "noopener noreferrer";
    original.target = "_blank";
    meta.append(document.createTextNode(" · "), original);
  }
  head.append(badge, title, meta);
  card.append(head);
  const relations = relationsList(source, titles);
  if (relations) card.append(relations);
  card.append(bar(source.stance === "neutral" ? "confidence" : STANCE_WORDS[source.stance], source.score,
    source.score.toFixed(2)));

  if (source.notes && source.notes.length) {
    const notes = el("ul", "cc-card-notes");
    for (const note of source.notes) notes.append(el("li", null, note));
    card.append(notes);
  }
  const passages = el("ol", "cc-passages");
  for (const passage of source.passages) passages.append(passageItem(passage));
  card.append(passages);
  return card;
}

// Fills `root` (the page's result section) with the verdict and one card per source. The parts keep ids
// (#verdict, #verdict-label, #sources, ...) that the pages' labels, focus and tests refer to.
export function renderResult(root, data) {
  const named = (node, id) => Object.assign(node, { id });
  const label = named(el("h2", "cc-verdict-label", VERDICT_WORDS[data.verdict] || data.verdict), "verdict-label");
  label.tabIndex = -1;  // focused by the web page, so screen readers read the verdict
  const meta = el("p", "cc-verdict-meta");
  meta.append(
    named(el("span", null, `confidence ${data.confidence.toFixed(2)} ·`), "confidence"),
    " ",
    named(el("span", null, data.summary), "summary"),
  );
  const meaning = named(el("p", "cc-help cc-confidence-meaning", CONFIDENCE_MEANING), "confidence-meaning");
  const notes = named(el("ul", "cc-notes"), "notes");
  notes.append(...(data.notes || []).map((note) => el("li", null, note)));
  const copy = named(el("button", "cc-button cc-button-secondary cc-copy", "Copy as text"), "copy-text");
  copy.type = "button";
  const copied = named(el("span", "cc-copied"), "copy-status");
  copied.setAttribute("role", "status");
  copy.addEventListener("click", () => copyText(data, copied));
  const actions = el("p", "cc-actions");
  actions.append(copy, " ", copied);
  const verdict = named(el("div", "cc-verdict"), "verdict");
  verdict.dataset.verdict = data.verdict;
  verdict.append(label, meta, meaning, notes, actions);
  const titles = new Map(data.sources.map((s) => [s.source_id, s.title || s.source_id]));
  const sources = named(el("ol", "cc-sources"), "sources");
  sources.setAttribute("aria-label", "Sources");
  sources.append(...data.sources.map((s) => sourceCard(s, titles)));
  root.replaceChildren(verdict, sources);
}

async function copyText(data, status) {
  try {
    await navigator.clipboard.writeText(verdictText(data));
    status.textContent = "Copied: paste it into your draft.";
  } catch (err) {
    status.textContent = `Could not copy (${err.message}).`;
  }
}

// The verdict as plain text for a fact-check draft: claim, verdict and confidence, the summary with the
// independence count, then each deciding source with its date, address, best passage and reasons, and
// the sources it shares reporting with.
export function verdictText(data) {
  const titles = new Map(data.sources.map((s) => [s.source_id, s.title || s.source_id]));
  const lines = [
    `Claim: ${data.claim}`,
    `Verdict: ${VERDICT_WORDS[data.verdict] || data.verdict} (confidence ${data.confidence.toFixed(2)})`,
    `${data.summary}.`,
    CONFIDENCE_MEANING,
  ];
  for (const note of data.notes || []) lines.push(`Note: ${note}`);
  const deciding = data.sources.filter((s) => s.stance !== "neutral");
  if (deciding.length) lines.push("", "Sources:");
  for (const source of deciding) {
    const where = [source.published || "undated", source.url].filter(Boolean).join(", ");
    lines.push(`- ${STANCE_WORDS[source.stance]} (${source.score.toFixed(2)}): ${source.title || source.source_id} (${where})`);
    for (const [field, words] of Object.entries(RELATION_WORDS)) {
      const ids = source[field] || [];
      if (ids.length) lines.push(`  ${words}: ${ids.map((id) => titles.get(id) || id).join("; ")}`);
    }
    const best = source.passages.find((p) => p.stance === source.stance) || source.passages[0];
    if (best) {
      lines.push(`  "${best.text}"`);
      for (const reason of best.reasons || []) lines.push(`  · ${reason}`);
    }
  }
  const others = data.sources.length - deciding.length;
  if (others) lines.push("", `${others} other source${others === 1 ? "" : "s"} checked neither support nor contradict it.`);
  lines.push("", "Checked with crosscheck.");
  return lines.join("\n");
}
