// crosscheck web page: posts the claim to /v1/verify and renders the result.
// Every string from the server goes in through textContent: nothing is parsed as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("claim-form");
  const claimBox = $("claim");
  const button = $("check");
  const statusLine = $("status");
  const errorBox = $("error");
  const result = $("result");

  const STANCE_WORDS = { supports: "supports", conflicts: "conflicts", neutral: "neutral" };
  const VERDICT_WORDS = {
    supported: "Supported",
    refuted: "Refuted",
    conflicting: "Conflicting",
    not_enough_evidence: "Not enough evidence",
  };
  const KIND_WORDS = {
    number: "number", year: "year", duration: "duration", destination: "destination",
    origin: "origin", actor: "actor", role: "role",
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setStatus(text, state) {
    statusLine.textContent = text;
    statusLine.dataset.state = state || "";
  }

  // -- readiness: the index may still be loading (first start builds it from the seeds) --
  async function watchReadiness() {
    for (;;) {
      let body = null;
      try {
        const response = await fetch("/readyz", { headers: { Accept: "application/json" } });
        body = await response.json();
        if (response.ok) {
          setStatus(`${body.sources} sources, ${body.passages} passages indexed`, "ready");
          return;
        }
      } catch (err) {
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

  // -- rendering --
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
    fill.style.width = `${Math.max(0, Math.min(1, value)) * 100}%`;  // CSSOM, allowed by the page's CSP
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

  function sourceCard(source) {
    const card = el("li", "cc-card");
    card.dataset.stance = source.stance;
    card.dataset.sourceId = source.source_id;

    const head = el("div", "cc-card-head");
    const badge = el("span", "cc-stance", STANCE_WORDS[source.stance] || source.stance);
    badge.dataset.stance = source.stance;
    const title = el("h3", "cc-card-title");
    if (source.url && /^https?:\/\//i.test(source.url)) {
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
    head.append(badge, title, meta);
    card.append(head);
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

  function render(data) {
    const verdict = $("verdict");
    verdict.dataset.verdict = data.verdict;
    $("verdict-label").textContent = VERDICT_WORDS[data.verdict] || data.verdict;
    $("confidence").textContent = `confidence ${data.confidence.toFixed(2)} ·`;
    $("summary").textContent = data.summary;
    const notes = $("notes");
    notes.replaceChildren(...(data.notes || []).map((note) => el("li", null, note)));
    $("sources").replaceChildren(...data.sources.map(sourceCard));
    result.hidden = false;
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
      render(data);
    } catch (err) {
      showError(`Could not reach the server: ${err.message}`);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", check);
  claimBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  watchReadiness();
})();
