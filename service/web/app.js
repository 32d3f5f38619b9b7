// crosscheck web page: posts the claim to /v1/verify and renders the result (render.js, shared with the
// browser extension). Every string from the server goes in through textContent: nothing is parsed as HTML.
// /?claim=...: the page fills the claim box and checks it at once (the extension links here for the full result).
import { renderResult } from "./render.js";

const $ = (id) => document.getElementById(id);
const form = $("claim-form");
const claimBox = $("claim");
const button = $("check");
const statusLine = $("status");
const errorBox = $("error");
const result = $("result");
const publish = $("publish");
const reviewButton = $("claimreview");
const reviewOutput = $("claimreview-output");
let lastBody = null;  // the request behind the result shown, asked again as ClaimReview

function setStatus(text, state) {
  statusLine.textContent = text;
  statusLine.dataset.state = state || "";
}

// -- readiness: the index may still be loading (first start builds it from the seeds) --
async function watchReadiness() {
  for (;;) {
    let body;
    try {
      const response = await fetch("/readyz", { headers: { Accept: "application/json" } });
      body = await response.json();
      if (response.ok) {
        setStatus(`${body.sources} sources, ${body.passages} passages indexed`, "ready");
        return;
      }
    } catch {
      body = { status: "loading", message: "cannot reach the server" };
    }
    if (body && body.status === "failed") {
      setStatus(`The index cannot be used: ${body.message}`, "failed");
      return;
    }
    setStatus("Loading the index… claims can be checked in a moment.", "loading");
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function render(data) {
  renderResult(result, data);
  result.hidden = false;
  publish.hidden = false;
  reviewOutput.hidden = true;
  reviewOutput.textContent = "";
  $("verdict-label").focus({ preventScroll: true });
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

// -- the request --
async function check(event) {
  event.preventDefault();
  errorBox.hidden = true;
  const claim = claimBox.value;
  if (!claim.trim()) {
    showError("Type a claim first.");
    claimBox.focus();
    return;
  }
  const body = { claim };
  const topK = $("top_k").value.trim();
  if (topK) body.top_k = Number(topK);
  for (const name of ["published_after", "published_before"]) {
    const value = $(name).value.trim();
    if (value) body[name] = value;
  }
  button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    const response = await fetch("/v1/verify", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const message = data && data.message ? data.message : `the server answered ${response.status}`;
      showError(`Could not check the claim: ${message}`);
      return;
    }
    lastBody = body;
    render(data);
  } catch (err) {
    showError(`Could not reach the server: ${err.message}`);
  } finally {
    button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

// -- ClaimReview: the server makes it (Accept: application/ld+json), so it matches the CLI and API exactly --
async function showClaimReview() {
  if (!lastBody) return;
  errorBox.hidden = true;
  reviewButton.disabled = true;
  try {
    const response = await fetch("/v1/verify", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/ld+json" },
      body: JSON.stringify(lastBody),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const message = data && data.message ? data.message : `the server answered ${response.status}`;
      showError(`Could not make the ClaimReview: ${message}`);
      return;
    }
    reviewOutput.textContent = JSON.stringify(data, null, 2);
    reviewOutput.hidden = false;
    reviewOutput.focus({ preventScroll: true });
  } catch (err) {
    showError(`Could not reach the server: ${err.message}`);
  } finally {
    reviewButton.disabled = false;
  }
}

form.addEventListener("submit", check);
reviewButton.addEventListener("click", showClaimReview);
claimBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});
watchReadiness();

// A claim in the address (/?claim=...&top_k=...): fill the form and check it, as if typed.
const params = new URLSearchParams(window.location.search);
if (params.get("claim")) {
  claimBox.value = params.get("claim");
  for (const name of ["top_k", "published_after", "published_before"]) {
    if (params.get(name)) $(name).value = params.get(name);
  }
  form.requestSubmit();
}
