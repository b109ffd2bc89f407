/* ПЭП: «Подписать!» sends the SMS code and opens «Ввод кода подтверждения»;
   «Подтвердить и отправить» posts the code; «Отмена» closes the window. */
(function () {
  "use strict";
  var dialog = document.getElementById("pep-dialog");
  if (!dialog) { return; }
  var form = dialog.querySelector("[data-pep-form]");
  var status = dialog.querySelector("[data-pep-status]");
  var error = dialog.querySelector("[data-pep-error]");
  var codeInput = dialog.querySelector("#pep-code");
  var current = null;  // the «Подписать!» button of the document being signed
  var codeSentFor = null;  // the document whose code was sent last (a code fits one document)

  function post(url, data) {
    var body = new FormData();
    body.append("csrf_token", form.elements.csrf_token.value);
    Object.keys(data || {}).forEach(function (key) { body.append(key, data[key]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: {"X-Requested-With": "fetch", "Accept": "application/json"}})
      .then(function (response) {
        return response.json().catch(function () {
          return {ok: false, message: "Ошибка сервера (" + response.status + "). Повторите попытку."};
        });
      })
      .catch(function () { return {ok: false, message: "Нет связи с сервером. Повторите попытку."}; });
  }

  function sendCode(opening) {
    error.textContent = "";
    status.textContent = "Отправка кода…";
    return post(current.dataset.codeUrl).then(function (answer) {
      if (answer.ok) {
        codeSentFor = current.dataset.signUrl;
        status.textContent = answer.message;
      } else if (opening === true && answer.resend_after && codeSentFor === current.dataset.signUrl) {
        // Reopened within a minute: the code already sent for this document still works.
        status.textContent = "Код подтверждения уже отправлен: введите код из последнего СМС.";
      } else {
        status.textContent = "";
        error.textContent = answer.message;
      }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-pep-sign]");
    if (!button) { return; }
    event.preventDefault();  // the button also posts its form when scripts are off
    current = button;
    codeInput.value = "";
    dialog.showModal();
    codeInput.focus();
    sendCode(true);
  });

  codeInput.setAttribute("aria-describedby", "pep-code-error");
  error.id = "pep-code-error";
  codeInput.addEventListener("input", function () { codeInput.removeAttribute("aria-invalid"); });

  dialog.querySelector("[data-pep-resend]").addEventListener("click", function () { sendCode(false); });
  dialog.querySelector("[data-pep-cancel]").addEventListener("click", function () { dialog.close(); });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    var code = codeInput.value.replace(/\D/g, "");
    if (code.length !== 6) {
      codeInput.setAttribute("aria-invalid", "true");
      error.textContent = "Введите 6 цифр кода из СМС";
      return;
    }
    var submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    post(current.dataset.signUrl, {code: code}).then(function (answer) {
      submit.disabled = false;
      if (answer.ok) {
        dialog.close();
        try { window.sessionStorage.setItem("sign-notice", answer.message); } catch (e) { /* private mode */ }
        window.location.reload();
      } else {
        error.textContent = answer.message;
        codeInput.setAttribute("aria-invalid", "true");
        codeInput.select();
      }
    });
  });
})();
