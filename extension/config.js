// What the extension's pages and background script share: the settings, kept in storage.local (not sync:
// the API key stays on this machine), and the key under which a selection is handed to the panel.

export const DEFAULTS = Object.freeze({ apiUrl: "http://127.0.0.1:8000", apiKey: "", timeoutSeconds: 30 });

// storage.session: the selection the background script hands to the panel; gone when the browser closes.
export const PENDING = "pending";

export async function loadSettings() {
  return { ...DEFAULTS, ...(await chrome.storage.local.get(Object.keys(DEFAULTS))) };
}

// The service's base address as typed in the options page: http(s) only, no query or fragment, no trailing slash
// (a path is kept, for a service behind a reverse proxy). Throws an Error whose message can be shown.
export function normaliseApiUrl(text) {
  let url;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error("Enter the service's address, e.g. http://127.0.0.1:8000");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error("The address must start with http:// or https://");
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new Error("Give the service's address alone, without a user name, query or fragment");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

// The host permission an address needs, as a match pattern (any port: patterns without one match all ports).
export function originPattern(apiUrl) {
  const url = new URL(apiUrl);
  return `${url.protocol}//${url.hostname}/*`;
}

// Whether the extension may call this address: the manifest grants loopback, the options page asks for the rest.
export function mayReach(apiUrl) {
  return chrome.permissions.contains({ origins: [originPattern(apiUrl)] });
}
