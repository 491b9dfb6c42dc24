// The inbound rule builder shows each action row's own arguments only (a tag for "Tag the
// conversation", a status and the tickets' selector for "Set tickets' status"…). Without this
// script every argument shows, labelled, and the server keeps only the chosen action's.
(function () {
  "use strict";
  document.querySelectorAll("[data-action-row]").forEach(function (row) {
    var type = row.querySelector(".action-type select");
    function show() {
      row.querySelectorAll(".action-argument[data-actions]").forEach(function (argument) {
        argument.hidden = argument.dataset.actions.split(" ").indexOf(type.value) === -1;
      });
    }
    type.addEventListener("change", show);
    show();
  });
})();
