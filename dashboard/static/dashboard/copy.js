// A copy button after each id (.id-value, see dashboard/id_cells.py), added here because
// copying needs JavaScript; added again to rows htmx swaps in. It copies the whole id and
// says "Copied" on the button and to screen readers.
(function () {
  "use strict";

  function addButtons(root) {
    root.querySelectorAll(".id-value").forEach((value) => {
      const next = value.nextElementSibling;
      if (next && next.matches(".copy-id")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "copy-id";
      button.textContent = "Copy";
      button.setAttribute("aria-label", `Copy ${value.dataset.kind || "id"} ${value.textContent.trim()}`);
      value.after(button);
    });
  }

  function announcer() {
    let region = document.getElementById("copy-status");
    if (!region) {
      region = document.createElement("span");
      region.id = "copy-status";
      region.className = "visually-hidden";
      region.setAttribute("role", "status");
      document.body.append(region);
    }
    return region;
  }

  async function copy(button) {
    const value = button.previousElementSibling.textContent.trim();
    let said;
    try {
      await navigator.clipboard.writeText(value);
      said = "Copied";
    } catch (error) {
      said = "Copy failed";
    }
    button.textContent = said;
    button.classList.toggle("is-copied", said === "Copied");
    announcer().textContent = `${said}: ${value}`;
    window.setTimeout(() => {
      button.textContent = "Copy";
      button.classList.remove("is-copied");
    }, 2000);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".copy-id");
    if (button) copy(button);
  });
  document.addEventListener("htmx:load", (event) => addButtons(event.target));
  document.addEventListener("DOMContentLoaded", () => addButtons(document));
})();
