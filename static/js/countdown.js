// Ticks down every <time class="countdown" datetime="…"> on the page once a second ("in 28 s",
// then "due now"); past a minute it leaves the server's words ("in 3 minutes") alone.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("time.countdown[datetime]");
  if (!clocks.length) { return; }
  function tick() {
    var now = Date.now();
    clocks.forEach(function (clock) {
      var seconds = Math.floor((Date.parse(clock.getAttribute("datetime")) - now) / 1000);
      if (seconds < 1) { clock.textContent = "due now"; }
      else if (seconds < 60) { clock.textContent = "in " + seconds + " s"; }
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
