// Keep shared URLs short: the filter form leaves out fields that are empty.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", (event) => {
    if (event.detail.verb !== "get" || !event.detail.elt.matches("#filters")) return;
    const params = event.detail.parameters;
    for (const name of Array.from(params.keys())) {
      if (params.get(name) === "") params.delete(name);
    }
  });
})();
