// The ТП application and message forms: per-file uploads with progress bars, drag and drop,
// the attachments list of the chosen category and the Rules' exclusions shown at once.
// Without JavaScript the form still works: the files go with the form itself.
(function () {
  document.documentElement.classList.add('js');
  var form = document.querySelector('form.appeal-form');
  if (!form) return;
  var csrf = form.querySelector('input[name="csrf_token"]');
  var area = form.querySelector('.upload-area');
  var inFlight = 0;

  function mb(size) { return (size / 1048576).toFixed(1) + 'мб'; }

  function guessType(name, select) {
    var lower = name.toLowerCase();
    var rules = [[/заявк/, 'Заявка'], [/схем/, 'Схема'], [/план/, 'План расположения'],
                 [/доверен/, 'Доверенность'], [/(свидетельств|выписк|прав|собственн|егрн)/, 'Правоустанавливающий документ']];
    for (var i = 0; i < rules.length; i++) {
      if (rules[i][0].test(lower) && select.querySelector('option[value="' + rules[i][1] + '"]')) return rules[i][1];
    }
    var fallback = area.getAttribute('data-default-type');
    var taken = Array.prototype.some.call(form.querySelectorAll('.doc-type-select'), function (s) {
      return s !== select && s.value === fallback && !s.closest('.upload-template');
    });
    return taken || !select.querySelector('option[value="' + fallback + '"]') ? 'Иное' : fallback;
  }

  function showError(text) {
    var box = area.querySelector('.js-upload-errors');
    var line = document.createElement('div');
    line.textContent = text;
    box.appendChild(line);
  }

  function upload(file) {
    var max = parseInt(area.getAttribute('data-max-bytes'), 10);
    if (file.size > max) {
      showError('Файл «' + file.name + '» больше ' + area.getAttribute('data-max-mb') + ' МБ и не загружен');
      return;
    }
    var row = area.querySelector('template.upload-template').content.firstElementChild.cloneNode(true);
    var select = row.querySelector('select');
    row.querySelector('.file-name').textContent = file.name;
    row.querySelector('.file-size').textContent = mb(file.size);
    select.value = guessType(file.name, select);
    var progress = row.querySelector('progress');
    progress.setAttribute('aria-label', 'Загрузка ' + file.name);
    area.querySelector('.upload-list').appendChild(row);
    area.querySelector('.upload-list-title').hidden = false;
    var xhr = new XMLHttpRequest();
    inFlight += 1;
    row.classList.add('uploading');
    xhr.open('POST', area.getAttribute('data-upload-url'));
    xhr.setRequestHeader('X-CSRFToken', csrf ? csrf.value : '');
    xhr.setRequestHeader('X-File-Name', encodeURIComponent(file.name));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', function (event) {
      if (event.lengthComputable) progress.value = Math.round(100 * event.loaded / event.total);
    });
    xhr.addEventListener('loadend', function () {
      inFlight -= 1;
      row.classList.remove('uploading');
      var data = {};
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
      if (xhr.status === 201 && data.token) {
        row.querySelector('input[name="upload"]').value = data.token;
        progress.value = 100;
        row.classList.add('uploaded');
      } else {
        row.remove();
        showError(data.error || ('Файл «' + file.name + '» не загружен'));
      }
    });
    row.querySelector('.remove-file').addEventListener('click', function () {
      if (xhr.readyState !== 4) xhr.abort();
      row.remove();
    });
    xhr.send(file);
  }

  if (area) {
    var input = area.querySelector('input[type="file"]');
    var zone = area.querySelector('.drop-zone');
    area.querySelector('.no-js-upload').classList.add('visually-hidden');
    // Its «Документ» select only serves the form without scripts: keep it out of the Tab order.
    var noJsType = area.querySelector('.no-js-upload select');
    if (noJsType) noJsType.setAttribute('tabindex', '-1');
    input.addEventListener('change', function () {
      Array.prototype.forEach.call(input.files, upload);
      input.value = '';
    });
    ['dragenter', 'dragover'].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add('dragging'); });
    });
    ['dragleave', 'drop'].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove('dragging'); });
    });
    zone.addEventListener('drop', function (event) {
      event.preventDefault();
      Array.prototype.forEach.call(event.dataTransfer.files, upload);
    });
    // «Удалить» on a saved document: removed when the form is saved, no reload now.
    area.querySelectorAll('button[name="delete_doc"], button[name="drop_upload"]').forEach(function (button) {
      button.addEventListener('click', function (event) {
        event.preventDefault();
        if (button.name === 'delete_doc') {
          var hidden = document.createElement('input');
          hidden.type = 'hidden';
          hidden.name = 'remove_doc';
          hidden.value = button.value;
          form.appendChild(hidden);
        }
        button.closest('li').remove();
      });
    });
  }

  form.addEventListener('submit', function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.getAttribute('data-confirm') && !window.confirm(submitter.getAttribute('data-confirm'))) {
      event.preventDefault();
      return;
    }
    if (inFlight > 0) {
      event.preventDefault();
      showError('Дождитесь окончания загрузки файлов');
    }
  });

  // ТП form: the attachments that apply to the chosen category, and the Rules' exclusions.
  var legalForm = form.getAttribute('data-legal-form');
  var complies = form.querySelector('#complies-group');
  if (!legalForm || !complies) return;
  function checked(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : '';
  }
  function category(power, answer) {
    if (answer === 'no') return 'p9';
    if (legalForm === 'fl' && (!power || power === 'le15')) return 'p14';
    if (legalForm !== 'fl' && power !== 'gt150') return 'p12_1';
    return 'p9';
  }
  var error = complies.querySelector('#complies-error');
  var serverError = error.hidden ? '' : error.textContent;
  function update() {
    var power = checked('power'), answer = checked('complies');
    var kind = category(power, answer);
    form.querySelectorAll('.required-docs li[data-when]').forEach(function (item) {
      var when = item.getAttribute('data-when');
      var applies = when === 'always' || (when === 'general' && kind === 'p9') ||
        (when === 'large' && kind === 'p9' && power === 'gt150');
      item.className = applies ? 'applies' : 'not-applies';
      item.querySelector('.applies-mark').textContent = applies ? '— требуется' : '— не требуется для выбранной категории заявки';
    });
    var message = '';
    if (answer === 'yes' && legalForm === 'fl' && power && power !== 'le15') {
      message = 'Пункт 14 Правил распространяется только на физических лиц с максимальной мощностью до 15 кВт включительно: выберите «не соответствует» или мощность ≤15 кВт.';
    } else if (answer === 'yes' && legalForm !== 'fl' && power === 'gt150') {
      message = 'Пункт 12(1) Правил распространяется только на юридических лиц и индивидуальных предпринимателей с максимальной мощностью до 150 кВт включительно: выберите «не соответствует» или мощность до 150 кВт.';
    }
    if (!message && serverError) message = serverError;
    error.textContent = message;
    error.hidden = !message;
    complies.classList.toggle('has-error', !!message);
  }
  form.querySelectorAll('input[name="power"], input[name="complies"]').forEach(function (input) {
    input.addEventListener('change', function () { serverError = ''; update(); });
  });
  update();
})();
