// A tiny rich-text editor: each textarea.rich-text becomes a contenteditable box with the
// manual's toolbar «Н Б I U» and lists; the HTML is written back into the textarea, which
// the form posts (the server sanitises it). Without JavaScript the plain textarea remains.
// The textarea's text is never assigned as HTML: it is parsed into an inert document and
// only the elements and attributes of domain/text.py's allow-list are copied into the box.
(function () {
  var ALLOWED = ['p', 'br', 'b', 'strong', 'i', 'em', 'u', 'ul', 'ol', 'li', 'a', 'blockquote',
                 'h3', 'h4', 's', 'div', 'span'];
  var LINK_SCHEMES = /^(https?|mailto):/i;
  var BUTTONS = [
    ['Н', 'Обычный текст', function () { document.execCommand('removeFormat'); document.execCommand('formatBlock', false, 'p'); }],
    ['Б', 'Полужирный', function () { document.execCommand('bold'); }],
    ['I', 'Курсив', function () { document.execCommand('italic'); }],
    ['U', 'Подчеркнутый', function () { document.execCommand('underline'); }],
    ['•', 'Маркированный список', function () { document.execCommand('insertUnorderedList'); }],
    ['1.', 'Нумерованный список', function () { document.execCommand('insertOrderedList'); }]
  ];

  // The allowed copy of `source`'s children appended to `target`: text as text nodes, an
  // allowed element with its allowed children, any other element replaced by its children
  // (script and style dropped with their content).
  function copyAllowed(source, target) {
    Array.prototype.forEach.call(source.childNodes, function (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        target.appendChild(document.createTextNode(node.nodeValue));
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      var name = node.nodeName.toLowerCase();
      if (name === 'script' || name === 'style' || name === 'template') return;
      if (ALLOWED.indexOf(name) === -1) {
        copyAllowed(node, target);
        return;
      }
      var copy = document.createElement(name);
      if (name === 'a') {
        var href = (node.getAttribute('href') || '').trim();
        if (LINK_SCHEMES.test(href)) copy.setAttribute('href', href);
        if (node.hasAttribute('title')) copy.setAttribute('title', node.getAttribute('title'));
        copy.setAttribute('rel', 'noopener nofollow');
      }
      copyAllowed(node, copy);
      target.appendChild(copy);
    });
  }

  // The box's content built from the textarea's value, through an inert parsed document.
  function fill(box, value) {
    var parsed = new DOMParser().parseFromString(value, 'text/html');
    copyAllowed(parsed.body, box);
  }

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
    fill(box, area.value);
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
