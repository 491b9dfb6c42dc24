// The inbound trigger form shows only the chosen resource's action fields. The server draws
// them for the resource it knows (and a "Show its fields" button redraws without JavaScript);
// this switches them in place as the resource changes.
(function () {
  "use strict";
  var form = document.getElementById("trigger-form");
  var resource = form && form.querySelector("select[name=resource]");
  if (!resource) { return; }
  var button = document.getElementById("show-resource-fields");
  if (button) { button.hidden = true; }

  function show() {
    form.querySelectorAll("[data-resources]").forEach(function (row) {
      row.hidden = row.dataset.resources.split(" ").indexOf(resource.value) === -1;
    });
  }
  resource.addEventListener("change", show);
  show();
})();
