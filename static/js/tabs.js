// Tabs of the Settings pages (<div data-tabs> with role="tab" links and role="tabpanel"
// panels): the links work without script (the server shows the chosen panel); this switches
// panels in place and keeps the choice in the address, so a reload shows the same one.
(function () {
  "use strict";
  document.querySelectorAll("[data-tabs]").forEach(function (tabs) {
    var links = tabs.querySelectorAll('[role="tab"]');
    links.forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        links.forEach(function (other) {
          var chosen = other === link;
          other.setAttribute("aria-selected", chosen ? "true" : "false");
          document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
        });
        window.history.replaceState(null, "", link.getAttribute("href"));
      });
    });
  });
})();
