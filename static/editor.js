// A tiny rich-text editor: each textarea.rich-text becomes a contenteditable box with the
// manual's toolbar «Н Б I U» and lists; the HTML is written back into the textarea, which
// the form posts (the server sanitises it). Without JavaScript the plain textarea remains.
(function () {
  var BUTTONS = [
    ['Н', 'Обычный текст', function () { document.execCommand('removeFormat'); document.execCommand('formatBlock', false, 'p'); }],
    ['Б', 'Полужирный', function () { document.execCommand('bold'); }],
    ['I', 'Курсив', function () { document.execCommand('italic'); }],
    ['U', 'Подчеркнутый', function () { document.execCommand('underline'); }],
    ['•', 'Маркированный список', function () { document.execCommand('insertUnorderedList'); }],
    ['1.', 'Нумерованный список', function () { document.execCommand('insertOrderedList'); }]
  ];

  function enhance(area) {
    var label = document.querySelector('label[for="' + area.id + '"]');
    var wrapper = document.createElement('div');
    wrapper.className = 'rich-editor';
    var toolbar = document.createElement('div');
    toolbar.className = 'rich-toolbar';
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', 'Форматирование текста');
    var box = document.createElement('div');
    box.className = 'rich-box';
    box.contentEditable = 'true';
    box.setAttribute('role', 'textbox');
    box.setAttribute('aria-multiline', 'true');
    if (label) {
      if (!label.id) label.id = area.id + '-label';
      box.setAttribute('aria-labelledby', label.id);
      label.removeAttribute('for'); // the box, not the hidden textarea, now carries the label
      label.addEventListener('click', function () { box.focus(); });
    }
    ['aria-invalid', 'aria-describedby'].forEach(function (name) {
      if (area.hasAttribute(name)) box.setAttribute(name, area.getAttribute(name));
    });
    box.innerHTML = area.value;
    BUTTONS.forEach(function (spec) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'rich-button';
      button.textContent = spec[0];
      button.title = spec[1];
      button.setAttribute('aria-label', spec[1]);
      button.addEventListener('mousedown', function (event) { event.preventDefault(); });
      button.addEventListener('click', function () { box.focus(); spec[2](); sync(); });
      toolbar.appendChild(button);
    });
    function sync() {
      var text = box.textContent.replace(/\u00a0/g, ' ').trim();
      area.value = text ? box.innerHTML : '';
    }
    box.addEventListener('input', sync);
    box.addEventListener('blur', sync);
    if (area.form) area.form.addEventListener('submit', sync);
    area.hidden = true;
    area.parentNode.insertBefore(wrapper, area);
    wrapper.appendChild(toolbar);
    wrapper.appendChild(box);
  }

  document.querySelectorAll('textarea.rich-text').forEach(enhance);
})();
