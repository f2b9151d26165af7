// Keep shared URLs short: a filter form (one with data-defaults) leaves out fields that are
// empty or at their default, both in the request htmx makes and in the URL it pushes. The
// server redirects a plain GET that carries them to the same clean URL.
(function () {
  "use strict";

  function defaultsOf(form) {
    try {
      return JSON.parse(form.dataset.defaults || "{}");
    } catch (error) {
      return {};
    }
  }

  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.verb !== "get") return;
    const form = event.detail.elt.closest("form[data-defaults]");
    if (!form) return;
    const defaults = defaultsOf(form);
    const params = event.detail.parameters;
    for (const name of Array.from(params.keys())) {
      const kept = params.getAll(name).filter((value) => value.trim() !== "" && value !== defaults[name]);
      params.delete(name);
      for (const value of kept) params.append(name, value);
    }
  });
})();
