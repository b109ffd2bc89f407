// After a refused form, put the cursor into the first field marked wrong, so a person on a
// long form (or a screen reader) lands on the message instead of the top of the page.
(function () {
  var marked = document.querySelectorAll('main [aria-invalid="true"]');
  for (var i = 0; i < marked.length; i++) {
    if (marked[i].offsetParent !== null) { marked[i].focus(); return; }
  }
  var alertBox = document.querySelector('main .notice-error[role="alert"]');
  if (alertBox) { alertBox.scrollIntoView({block: 'center'}); }
})();
