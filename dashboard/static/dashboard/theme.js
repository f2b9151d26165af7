// The colour theme: the one picked with the top bar's toggle, remembered in this browser, else
// the system's (prefers-color-scheme, which theme.css follows by itself). Loaded in <head>
// without defer, so <html> has its theme before the first paint and nothing flashes.
(function () {
  "use strict";
  const KEY = "app-errors-theme";
  const root = document.documentElement;
  const system = window.matchMedia("(prefers-color-scheme: dark)");
  root.classList.add("js");

  function chosen() {
    try {
      const theme = window.localStorage.getItem(KEY);
      return theme === "dark" || theme === "light" ? theme : null;
    } catch (error) {
      return null; // storage refused (privacy settings): follow the system
    }
  }

  function effective() {
    return chosen() || (system.matches ? "dark" : "light");
  }

  function apply() {
    const theme = chosen();
    if (theme) root.dataset.theme = theme;
    else delete root.dataset.theme;
    const dark = String(effective() === "dark");
    document.querySelectorAll("[data-theme-toggle]").forEach((button) => {
      button.setAttribute("aria-pressed", dark);
    });
    document.dispatchEvent(new CustomEvent("themechange", { detail: { theme: effective() } }));
  }

  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-theme-toggle]")) return;
    try {
      window.localStorage.setItem(KEY, effective() === "dark" ? "light" : "dark");
    } catch (error) {
      root.dataset.theme = effective() === "dark" ? "light" : "dark"; // this page only
    }
    apply();
  });
  system.addEventListener("change", apply);
  document.addEventListener("DOMContentLoaded", apply);
  apply();
})();
