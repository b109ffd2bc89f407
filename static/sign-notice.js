/* The notice of a signature just made, kept in sessionStorage over the page's reload by
   pep-sign.js and cades-sign.js ("sign-notice"), shown once at the top of the page. */
(function () {
  "use strict";
  var notice = null;
  try {
    notice = window.sessionStorage.getItem("sign-notice");
    window.sessionStorage.removeItem("sign-notice");
  } catch (e) { notice = null; }
  if (!notice) { return; }
  var box = document.createElement("div");
  box.className = "notice notice-success";
  box.setAttribute("role", "status");
  box.textContent = notice;
  var main = document.querySelector("main");
  if (main) { main.insertBefore(box, main.firstChild); }
})();
