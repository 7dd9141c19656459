// Shows why the last sign-in failed (the server redirects to /agent/login?error=<code>).
(function () {
  "use strict";
  var messages = {
    invalid: "Wrong username or password.",
    expired: "Your session expired. Please sign in again.",
    csrf: "The form expired. Please try again.",
    rate_limited: "Too many attempts. Wait a minute and try again.",
  };
  var code = new URLSearchParams(location.search).get("error");
  if (!code) return;
  var box = document.getElementById("login-error");
  box.textContent = messages[code] || "Sign-in failed.";
  box.hidden = false;
})();
