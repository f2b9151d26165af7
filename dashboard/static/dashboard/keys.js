// Keyboard shortcuts on the lists and the group page. Everything they do is also a link, a
// button or a form on the page: without this file the page works the same by mouse or Tab.
//
//   /  search        j k  next / previous row     Enter  open the row
//   r  resolve or unresolve the row (its own button)   x  tick the row for a bulk action
//   g g  groups      g e  errors (the list toggle, filters kept)
//   ?  this help     Escape  leave a field, close the help
//
// Listeners sit on the document, so rows and forms htmx swaps in keep working; the selected
// row is found again by its id after a swap.
(function () {
  "use strict";

  const ROWS = "table.errors > tbody > tr";
  const SELECTED = "is-key-selected";
  const PREFIX_MS = 1500;
  let selectedId = null;
  let selectedIndex = -1;
  let prefixAt = 0;

  function isTyping(target) {
    if (!(target instanceof Element)) return false;
    return target.isContentEditable || target.matches("input, textarea, select");
  }

  function rows() {
    return Array.from(document.querySelectorAll(ROWS)).filter((row) => !row.querySelector(".empty-row"));
  }

  function current() {
    return document.querySelector(`${ROWS}.${SELECTED}`);
  }

  function select(row, { scroll = true } = {}) {
    const previous = current();
    if (previous && previous !== row) {
      previous.classList.remove(SELECTED);
      previous.removeAttribute("aria-current");
    }
    if (!row) {
      selectedId = null;
      selectedIndex = -1;
      return;
    }
    row.classList.add(SELECTED);
    row.setAttribute("aria-current", "true");
    selectedId = row.id || null;
    selectedIndex = rows().indexOf(row);
    if (scroll) row.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const index = all.indexOf(current());
    const next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(Math.max(index + step, 0), all.length - 1);
    select(all[next]);
  }

  // After a swap: the same row if it is still there, else the row now at its place.
  function restore() {
    if (selectedIndex < 0 || current()) return;
    const all = rows();
    const same = selectedId && document.getElementById(selectedId);
    const row = same && all.includes(same) ? same : all[Math.min(selectedIndex, all.length - 1)];
    select(row || null, { scroll: false });
  }

  function openLink(row) {
    return Array.from(row.querySelectorAll("a[href]")).find((link) => !link.classList.contains("filter-link"));
  }

  function open() {
    const link = current() && openLink(current());
    if (!link) return false;
    link.click();
    return true;
  }

  function resolve() {
    const button = current() && current().querySelector("button.resolve, button.unresolve");
    if (!button) return false;
    button.click();
    return true;
  }

  function tick() {
    const box = current() && current().querySelector('input[type="checkbox"][name="ids"]');
    if (!box) return false;
    box.click();
    return true;
  }

  function focusSearch() {
    const search = document.querySelector('#filters [name="search"]');
    if (!search) return false;
    search.focus();
    search.select();
    return true;
  }

  function goTo(list) {
    const link = document.querySelector(`a[data-keys-list="${list}"]`);
    if (!link) return false;
    link.click();
    return true;
  }

  function help() {
    return document.getElementById("keyboard-help");
  }

  function showHelp() {
    const dialog = help();
    if (!dialog || dialog.open) return false;
    dialog.showModal();
    return true;
  }

  // Tab and Shift+Tab stay inside the open help.
  function trapFocus(event, dialog) {
    const focusable = Array.from(dialog.querySelectorAll("a[href], button, input, select, textarea, [tabindex]"))
      .filter((element) => !element.disabled && element.tabIndex >= 0);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      last.focus();
      event.preventDefault();
    } else if (!event.shiftKey && document.activeElement === last) {
      first.focus();
      event.preventDefault();
    }
  }

  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const dialog = help();
    if (dialog && dialog.open) {
      if (event.key === "Tab") trapFocus(event, dialog);
      return; // Escape closes the dialog natively
    }
    if (!(event.target instanceof Element) || isTyping(event.target)) {
      if (event.key === "Escape" && event.target instanceof HTMLElement) {
        event.preventDefault(); // a search box would clear itself: leave it as typed
        event.target.blur();
      }
      return;
    }
    const afterG = Date.now() - prefixAt < PREFIX_MS;
    prefixAt = 0;
    let done = false;
    if (afterG && event.key === "g") done = goTo("groups");
    else if (afterG && event.key === "e") done = goTo("errors");
    else if (event.key === "g") {
      prefixAt = Date.now();
      done = true;
    } else if (event.key === "/") done = focusSearch();
    else if (event.key === "j") done = (move(1), rows().length > 0);
    else if (event.key === "k") done = (move(-1), rows().length > 0);
    else if (event.key === "Enter" && !event.target.closest("a, button, summary")) done = open();
    else if (event.key === "r") done = resolve();
    else if (event.key === "x") done = tick();
    else if (event.key === "?") done = showHelp();
    if (done) event.preventDefault();
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("htmx:afterSettle", restore);
  document.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("[data-keys-help]")) showHelp();
  });
  function reveal() {
    document.querySelectorAll("[data-keys-help][hidden]").forEach((button) => { button.hidden = false; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reveal);
  else reveal();
  document.addEventListener("htmx:load", reveal);
})();
