// ESLint for crosscheck's JavaScript: the web page (service/web/) and the browser extension (extension/).
// Both are ES modules for the browser, with no build step: what is linted is what runs.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/", "build/", "dist/", ".venv/"] },
  js.configs.recommended,
  {
    files: ["service/web/**/*.js", "extension/**/*.js"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      // Nothing from the server may become code or markup (the pages' CSP forbids it too).
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-script-url": "error",
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "Build nodes and set textContent: server text is never parsed as HTML." },
        { property: "outerHTML", message: "Build nodes and set textContent: server text is never parsed as HTML." },
        { property: "insertAdjacentHTML", message: "Build nodes and set textContent." },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "ImportExpression", message: "No dynamic imports: extension pages load only their own modules." },
      ],
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-unused-vars": ["error", { args: "after-used" }],
    },
  },
  {
    // The extension also runs against the WebExtension APIs (chrome.*, and Firefox's browser.*).
    files: ["extension/**/*.js"],
    languageOptions: { globals: { ...globals.webextensions } },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
