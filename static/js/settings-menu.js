// The Settings navigation is a <details>, folded in the markup so that a phone shows the page
// first (and without script a wide screen shows its summary to open it); here it opens on wide
// screens, and folds again when the window narrows.
(function () {
  var menu = document.querySelector("details.settings-menu");
  if (!menu) { return; }
  var wide = window.matchMedia("(min-width: 761px)");
  function sync() { menu.open = wide.matches; }
  sync();
  wide.addEventListener("change", sync);
})();
