// The classroom check-in screen: fetch the next code when the current one runs out.
(function () {
  "use strict";
  var screen = document.getElementById("checkin-screen");
  if (!screen || !screen.dataset.codeUrl) { return; }
  var url = screen.dataset.codeUrl;
  var qr = document.getElementById("checkin-qr");
  var code = document.getElementById("checkin-code");
  var counts = document.getElementById("checkin-counts");
  var seconds = document.getElementById("checkin-seconds");
  var secondsText = seconds ? seconds.textContent : "";
  var left = parseInt(screen.dataset.secondsLeft, 10) || 30;
  var shownLeft = left;

  function showSeconds(n) {
    if (seconds) { seconds.textContent = secondsText.replace(/\d+/, String(n)); }
  }

  function refresh() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { window.location.reload(); return null; }
        return response.json();
      })
      .then(function (state) {
        if (!state || !state.showing) { window.location.reload(); return; }
        qr.innerHTML = state.qr_svg;
        code.textContent = state.code.slice(0, 3) + " " + state.code.slice(3);
        counts.textContent = state.arrived_text;
        shownLeft = state.seconds_left;
        showSeconds(shownLeft);
        window.setTimeout(refresh, state.seconds_left * 1000 + 200);
      })
      .catch(function () { window.setTimeout(refresh, 5000); });
  }

  window.setInterval(function () {
    if (shownLeft > 1) { shownLeft -= 1; showSeconds(shownLeft); }
  }, 1000);
  window.setTimeout(refresh, left * 1000 + 200);
})();
