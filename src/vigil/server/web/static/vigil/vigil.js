// A table wider than a phone scrolls inside its card; a region that scrolls must be reachable
// by the keyboard (WCAG 2.1.1), so such a table gets into the tab order, named by its section's
// heading. Without this file the table still scrolls (touch, mouse); nothing else depends on it.
(function () {
  function mark() {
    document.querySelectorAll("table.list").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-scroll-region", "");
        var section = table.closest("section, main");
        var heading = section && section.querySelector("h1, h2");
        if (heading && !table.hasAttribute("aria-label")) table.setAttribute("aria-label", heading.textContent.trim());
      } else if (!scrolls && table.hasAttribute("data-scroll-region")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scroll-region");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", mark);
  window.addEventListener("resize", mark);
  document.addEventListener("htmx:afterSettle", mark);
})();
