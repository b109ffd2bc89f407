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

  // A form that asks before it is sent: <form data-confirm="Вопрос?">.
  document.addEventListener('submit', function (event) {
    var question = event.target.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
