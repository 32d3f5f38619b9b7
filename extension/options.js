// The options page: the service's address, an optional API key and the time to wait, in storage.local.
// An address off this machine needs its host permission, asked for from the Save click (browsers grant it only
// from a user's gesture); permissions granted for an address no longer used are given back.
import { DEFAULTS, loadSettings, normaliseApiUrl, originPattern } from "./config.js";

const $ = (id) => document.getElementById(id);
const form = $("settings");
const saved = $("saved");
const BUILT_IN = new Set(chrome.runtime.getManifest().host_permissions);

function say(text, state) {
  saved.textContent = text;
  saved.dataset.state = state;
}

async function fill() {
  const settings = await loadSettings();
  $("api-url").value = settings.apiUrl;
  $("api-key").value = settings.apiKey;
  $("timeout").value = String(settings.timeoutSeconds);
}

// Optional host permissions other than the one in use: returned, so the extension reaches one service only.
async function dropOtherOrigins(keep) {
  const { origins = [] } = await chrome.permissions.getAll();
  const unused = origins.filter((origin) => !BUILT_IN.has(origin) && origin !== keep);
  if (unused.length) await chrome.permissions.remove({ origins: unused });
}

// Everything is checked before the permission prompt, so the prompt is only shown for settings that will be kept.
function read() {
  const apiUrl = normaliseApiUrl($("api-url").value || DEFAULTS.apiUrl);
  const timeoutSeconds = Number($("timeout").value);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 600) {
    throw new Error("Give up after: a whole number of seconds from 1 to 600.");
  }
  return { apiUrl, apiKey: $("api-key").value.trim(), timeoutSeconds };
}

async function save(settings, granting) {
  if (!(await granting)) {
    say(`Not saved: the extension was not allowed to reach ${new URL(settings.apiUrl).origin}.`, "error");
    return;
  }
  await chrome.storage.local.set(settings);
  await dropOtherOrigins(originPattern(settings.apiUrl));
  $("api-url").value = settings.apiUrl;
  say(`Saved. Selections are checked with ${settings.apiUrl}.`, "saved");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  let settings;
  try {
    settings = read();
  } catch (error) {
    say(error.message, "error");
    return;
  }
  // Asked here, synchronously in the click's handler, or the browser refuses to show its prompt.
  const pattern = originPattern(settings.apiUrl);
  const granting = BUILT_IN.has(pattern) ? Promise.resolve(true) : chrome.permissions.request({ origins: [pattern] });
  save(settings, granting).catch((error) => say(`Not saved: ${error.message}`, "error"));
});

fill();
