// The Settings navigation is a <details> that is open in the markup (so it works without
// script); on narrow screens it starts folded into a menu until tapped.
(function () {
  var menu = document.querySelector("details.settings-menu");
  if (menu && window.matchMedia("(max-width: 760px)").matches) { menu.open = false; }
})();
