// "Copy" buttons of the Settings pages: <button data-copy-target="id-of-the-element"
// data-copy-what="key">. A file, not an inline script: the Content-Security-Policy runs only
// scripts served from our own origin.
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  button.addEventListener("click", function () {
    var text = document.getElementById(button.dataset.copyTarget).textContent;
    var status = document.getElementById("copy-status");
    var what = button.dataset.copyWhat;
    navigator.clipboard.writeText(text).then(
      function () { status.textContent = "Copied to the clipboard."; },
      function () { status.textContent = "Copying failed: select the " + what + " and copy it by hand."; }
    );
  });
});
