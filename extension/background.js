// crosscheck's background script (a service worker in Chromium, an event page in Firefox).
// The context-menu item and the keyboard shortcut hand the selected text to the panel through storage.session
// and open the panel; the panel does the checking, so a slow service never holds up the browser's events.
import { PENDING } from "./config.js";

const MENU_ID = "crosscheck-check";
const COMMAND = "check-selection";

// Re-created on install and on each browser start: Chromium keeps menu items, Firefox's event page may not.
function createMenu() {
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({ id: MENU_ID, title: "Check with crosscheck", contexts: ["selection"] });
  });
}
chrome.runtime.onInstalled.addListener(createMenu);
chrome.runtime.onStartup.addListener(createMenu);

// Both browsers open a panel only straight from the user's gesture: call this before any await.
function openPanel(tab) {
  if (chrome.sidePanel && tab?.windowId === undefined) return Promise.resolve();  // no window to open it in
  const opening = chrome.sidePanel
    ? chrome.sidePanel.open({ windowId: tab.windowId })
    : browser.sidebarAction.open();
  // Without a gesture (e.g. driven from the console) the selection is still handed over: the panel shows it
  // when the user opens it from the toolbar.
  return opening.catch((error) => console.warn(`crosscheck: the panel did not open: ${error.message}`));
}

function handOver(text) {
  return chrome.storage.session.set({ [PENDING]: { text: text || "", id: crypto.randomUUID() } });
}

// Runs in the page (serialised by executeScript, so it must stand alone). A selection inside a form field
// is not part of the document's selection, so it is read from the field.
function readSelection() {
  const field = document.activeElement;
  const textual = field && (field.tagName === "TEXTAREA" || (field.tagName === "INPUT" && /^(text|search|url)$/i.test(field.type)));
  if (textual && field.selectionStart !== null) return field.value.slice(field.selectionStart, field.selectionEnd);
  return String(window.getSelection() || "");
}

// The shortcut gives no selection, unlike the menu: read it from the tab's top frame. activeTab grants that for
// the tab the shortcut was pressed in; scripting is the permission to run readSelection there.
async function selectionIn(tab) {
  try {
    const [frame] = await chrome.scripting.executeScript({ target: { tabId: tab.id }, func: readSelection });
    return frame?.result || "";
  } catch (error) {
    // Pages no extension may script (the browser's own pages, the web store): as if nothing were selected.
    console.warn(`crosscheck: cannot read the selection: ${error.message}`);
    return "";
  }
}

async function onMenuClick(info, tab) {
  if (info.menuItemId !== MENU_ID) return;
  const opened = openPanel(tab);
  await handOver(info.selectionText);
  await opened;
}

async function onCommand(command, tab) {
  if (command !== COMMAND) return;
  const opened = openPanel(tab);
  await handOver(await selectionIn(tab));
  await opened;
}

chrome.contextMenus.onClicked.addListener(onMenuClick);
chrome.commands.onCommand.addListener(onCommand);

// The toolbar button opens the panel: Chromium does it itself once told to; Firefox's sidebar needs a call.
if (chrome.sidePanel) {
  chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: true }).catch((error) => console.warn(error.message));
} else {
  chrome.action.onClicked.addListener(() => browser.sidebarAction.toggle());
}

// The same handlers the browser calls, for the worker's console and for the end-to-end test (a headless
// browser cannot click a context menu): crosscheck.onMenuClick({menuItemId, selectionText}, tab).
globalThis.crosscheck = { MENU_ID, COMMAND, onMenuClick, onCommand };
