// Show only the fields of the chosen legal form; without JavaScript all parts stay visible.
(function () {
  var form = document.getElementById('register-form');
  if (!form) return;
  document.documentElement.classList.add('js');
  function apply() {
    var checked = form.querySelector('input[name="legal_form"]:checked');
    var value = checked ? checked.value : 'fl';
    form.querySelectorAll('[data-forms]').forEach(function (part) {
      var on = part.getAttribute('data-forms').split(' ').indexOf(value) !== -1;
      part.hidden = !on;
      part.querySelectorAll('input').forEach(function (input) { input.disabled = !on; });
    });
    var inn = form.querySelector('#inn');
    if (inn) inn.setAttribute('maxlength', value === 'ul' ? '12' : '14');
    var names = {'last_name': 'Фамилия', 'first_name': 'Имя', 'middle_name': 'Отчество'};
    Object.keys(names).forEach(function (id) {
      var label = form.querySelector('label[for="' + id + '"]');
      if (!label) return;
      label.textContent = '';
      if (id !== 'middle_name') {
        var star = document.createElement('span');
        star.className = 'req';
        star.textContent = '*';
        label.append(star, ' ');
      }
      label.append(names[id] + (value === 'ul' ? ' руководителя' : '') + ':');
    });
  }
  form.querySelectorAll('input[name="legal_form"]').forEach(function (r) {
    r.addEventListener('change', apply);
  });
  apply();
})();
