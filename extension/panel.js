// crosscheck's panel (Chromium's side panel, Firefox's sidebar): checks the selection the background script
// hands over in storage.session against the configured service and shows the result as the web page does
// (render.js is the web page's own, copied in by the build). Nothing from the server is parsed as HTML.
import { PENDING, loadSettings, mayReach } from "./config.js";
import { renderResult } from "./render.js";

const $ = (id) => document.getElementById(id);
const claimQuote = $("claim");
const stateLine = $("state");
const errorBox = $("error");
const result = $("result");
const fullResultLine = $("full-result-line");

const limits = new Map();  // service address -> its claim limit, learnt once per panel
let current = null;  // the check under way: a newer selection aborts it
let taken = null;  // the id of the last selection handed over, which the panel may hear of twice when it opens

function show(state, { message = "", kind = "" } = {}) {
  stateLine.dataset.state = state;
  if (state === "checking") stateLine.textContent = message;
  errorBox.hidden = state !== "error";
  errorBox.dataset.kind = kind;
  errorBox.textContent = state === "error" ? message : "";
  result.hidden = state !== "done";
  fullResultLine.hidden = state !== "done";
}

// A selection spans lines and indentation; the service wants the sentence.
function tidy(text) {
  return (text || "").replace(/\s+/g, " ").trim();
}

// The service states its claim limit in its OpenAPI document; null when it does not (the service's own 422
// message then says it). An unreachable or silent service throws here, and is reported as such.
async function claimLimit(apiUrl, signal) {
  if (!limits.has(apiUrl)) {
    const response = await fetch(`${apiUrl}/openapi.json`, { signal, headers: { Accept: "application/json" } });
    const schema = response.ok ? await response.json().catch(() => null) : null;
    const limit = schema?.components?.schemas?.VerifyRequest?.properties?.claim?.maxLength;
    if (!Number.isInteger(limit)) return null;
    limits.set(apiUrl, limit);
  }
  return limits.get(apiUrl);
}

function fullResultLink(apiUrl, claim) {
  return `${apiUrl}/?${new URLSearchParams({ claim })}`;
}

async function check(selection) {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const claim = tidy(selection);
  claimQuote.textContent = claim;
  claimQuote.hidden = !claim;
  if (!claim) {
    show("error", { kind: "empty", message: "Nothing was selected. Select a sentence on the page, then check it." });
    return;
  }
  const settings = await loadSettings();
  const { apiUrl } = settings;
  const allowed = await mayReach(apiUrl);
  if (controller !== current) return;  // superseded by a newer selection meanwhile
  if (!allowed) {
    show("error", {
      kind: "permission",
      message: `crosscheck may not reach ${new URL(apiUrl).origin} yet: open Settings and save the address to allow it.`,
    });
    return;
  }
  show("checking", { message: `Checking with ${apiUrl}…` });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, settings.timeoutSeconds * 1000);
  try {
    const limit = await claimLimit(apiUrl, controller.signal);
    const length = [...claim].length;  // in code points, as the service counts
    if (controller !== current) return;
    if (limit !== null && length > limit) {
      show("error", {
        kind: "too-long",
        message: `The selection has ${length.toLocaleString("en")} characters; the service checks at most ` +
          `${limit.toLocaleString("en")}. Select a sentence or two.`,
      });
      return;
    }
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (settings.apiKey) headers["X-API-Key"] = settings.apiKey;
    const response = await fetch(`${apiUrl}/v1/verify`, {
      method: "POST", headers, body: JSON.stringify({ claim }), signal: controller.signal,
    });
    const data = await response.json().catch(() => null);
    if (controller !== current) return;
    if (!response.ok) {
      const reason = data?.message || response.statusText || "no reason given";
      show("error", {
        kind: response.status >= 500 ? "server" : "refused",
        message: response.status >= 500
          ? `The service failed (${response.status}): ${reason}`
          : `The service refused the claim (${response.status}): ${reason}`,
      });
      return;
    }
    if (!data || !Array.isArray(data.sources)) {
      show("error", { kind: "bad-response", message: `${apiUrl} did not answer like a crosscheck service.` });
      return;
    }
    renderResult(result, data);
    $("full-result").href = fullResultLink(apiUrl, claim);
    show("done");
  } catch {
    if (controller !== current) return;  // superseded by a newer selection
    show("error", timedOut
      ? { kind: "timeout", message: `The service at ${apiUrl} did not answer within ${settings.timeoutSeconds} s.` }
      : {
        kind: "unreachable",
        message: `Cannot reach the crosscheck service at ${apiUrl}. Is it running? ` +
          "Start it with “crosscheck serve”, or set its address in Settings.",
      });
  } finally {
    clearTimeout(timer);
  }
}

$("open-options").addEventListener("click", () => chrome.runtime.openOptionsPage());

function take(pending) {
  if (!pending || pending.id === taken) return;
  taken = pending.id;
  check(pending.text);
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "session" && PENDING in changes) take(changes[PENDING].newValue);
});
// A selection handed over before the panel was open (the usual case: the menu opens the panel).
chrome.storage.session.get(PENDING).then((stored) => take(stored[PENDING]));
