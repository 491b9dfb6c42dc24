// Copy buttons of the Settings pages. Markup: <button data-copy-target="id-of-the-element"
// data-copy-what="key">; and every <pre> in the page gets a "Copy" button of its own (opt out
// with data-no-copy). A file, not an inline script: the Content-Security-Policy runs only
// scripts served from our own origin.
(function () {
  "use strict";
  // base.html loads this on every page; a page that loads it again must not attach twice.
  if (window.omniflowCopyAttached) { return; }
  window.omniflowCopyAttached = true;
  function say(button, text) {
    var status = document.getElementById(button.dataset.copyStatus || "copy-status");
    if (status) { status.textContent = text; }
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = text.indexOf("failed") === -1 ? "Copied" : "Copy failed";
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }
  function attach(button, source) {
    button.addEventListener("click", function () {
      var what = button.dataset.copyWhat || "text";
      navigator.clipboard.writeText(source().textContent).then(
        function () { say(button, "Copied to the clipboard."); },
        function () { say(button, "Copying failed: select the " + what + " and copy it by hand."); }
      );
    });
  }
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    attach(button, function () { return document.getElementById(button.dataset.copyTarget); });
  });
  document.querySelectorAll("main pre:not([data-no-copy])").forEach(function (block) {
    if (block.parentElement.classList.contains("code-block")) { return; }
    var wrapper = document.createElement("div");
    wrapper.className = "code-block";
    block.parentNode.insertBefore(wrapper, block);
    wrapper.appendChild(block);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.dataset.copyWhat = "code";
    button.dataset.copyStatus = "-";
    button.setAttribute("aria-label", "Copy " + (block.getAttribute("aria-label") || "this code"));
    wrapper.appendChild(button);
    attach(button, function () { return block; });
  });
})();
