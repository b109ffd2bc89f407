// The back office's behaviour that Flask-Admin's templates and ours used to write inline
// (onclick=, onsubmit=), which the Content-Security-Policy refuses.
(function () {
  'use strict';

  // In the capture phase: Flask-Admin's multi-level menu hack stops the menu toggles'
  // clicks from bubbling.
  document.addEventListener('click', function (event) {
    if (!(event.target instanceof Element)) return;
    // Placeholder links, which scripts handle: Flask-Admin's javascript:void(0) (menu
    // toggles, pager, tabs, column hints: the policy would refuse the URL and report it) and
    // href="#" in our copies of its templates (menus, filter entries): no address to follow.
    var placeholder = event.target.closest('a[href^="javascript:"], a[href="#"]');
    if (placeholder) event.preventDefault();
    // The list's batch actions menu: run the action named in data-action (actions.js).
    var action = event.target.closest('a[data-action]');
    if (action && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute('data-action'));
    }
  }, true);

  // «Разместить документ» on a п.14 / п.12(1) application: the contract's type is not signed
  // by the applicant, so its «требуется подпись заявителя» box is off while it is chosen
  // (the server refuses it too); the explanation shows only then.
  function syncSignatureBox(holder) {
    var select = document.getElementById(holder.getAttribute('data-type-select'));
    var box = holder.querySelector('input[type="checkbox"]');
    var hint = document.getElementById(box.id + '-hint');
    var unsigned = select.value === holder.getAttribute('data-unsigned-type');
    box.disabled = unsigned;
    if (unsigned) box.checked = false;
    if (hint) hint.hidden = !unsigned;
  }

  document.querySelectorAll('[data-unsigned-type]').forEach(function (holder) {
    var select = document.getElementById(holder.getAttribute('data-type-select'));
    if (!select) return;
    select.addEventListener('change', function () { syncSignatureBox(holder); });
    syncSignatureBox(holder);
  });

  // A form that asks before it is sent: <form data-confirm="Вопрос?">.
  document.addEventListener('submit', function (event) {
    var question = event.target.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
