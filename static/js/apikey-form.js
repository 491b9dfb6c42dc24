// API key form: show custom limits only with the Custom tier (the server refuses them with
// another one), and grey out the scope boxes while Full access is ticked. A file, not an
// inline script: the Content-Security-Policy runs only scripts served from our own origin.
(function () {
  var form = document.getElementById("api-key-form");
  if (!form) { return; }
  var customField = document.getElementById("custom-rate-field");
  var customInput = document.getElementById(form.dataset.customRateInput);
  var fullAccess = document.getElementById(form.dataset.fullAccessInput);
  var scopeBoxes = form.querySelectorAll('input[name="scopes"]');
  function sync() {
    var tier = form.querySelector('input[name="tier"]:checked');
    var custom = tier && tier.value === "custom";
    customField.hidden = !custom;
    customInput.disabled = !custom;
    scopeBoxes.forEach(function (box) { box.disabled = fullAccess.checked; });
  }
  form.addEventListener("change", sync);
  sync();
})();
