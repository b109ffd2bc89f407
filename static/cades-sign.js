/* КЭП in the browser through the CryptoPro plug-in (cadesplugin_api.js, async API).
   «Подписать!» → without the plug-in: the software needed and the upload of a .sig;
   with it: «Да», the certificates of the user's store (owner, issuer, valid until),
   «Подписать и отправить» makes a detached CAdES-BES of the exact file bytes and posts it. */
(function () {
  "use strict";
  var CAPICOM_CURRENT_USER_STORE = 2, CAPICOM_MY_STORE = "My",
      CAPICOM_STORE_OPEN_MAXIMUM_ALLOWED = 2, CADESCOM_CADES_BES = 1,
      CADESCOM_BASE64_TO_BINARY = 1;
  var missing = document.getElementById("kep-missing");
  var confirmBox = document.getElementById("kep-confirm");
  var certsBox = document.getElementById("kep-certs");
  if (!missing || !confirmBox || !certsBox) { return; }
  var csrf = document.getElementById("kep-csrf").value;
  var list = certsBox.querySelector("[data-kep-list]");
  var certStatus = certsBox.querySelector("[data-kep-status]");
  var current = null, certificates = [];

  function errorBox(dialog) { return dialog.querySelector("[data-kep-error]"); }
  function show(dialog) {
    [missing, confirmBox, certsBox].forEach(function (d) { if (d.open) { d.close(); } });
    var err = errorBox(dialog);
    if (err) { err.textContent = ""; }
    dialog.showModal();
  }

  function plugin() {
    /* The plug-in object is a thenable that rejects when the extension is absent. */
    var p = window.cadesplugin;
    if (!p) { return Promise.reject(new Error("no plug-in")); }
    var timeout = new Promise(function (resolve, reject) {
      setTimeout(function () { reject(new Error("plug-in timeout")); }, 5000);
    });
    /* Resolve with a wrapper: resolving with the thenable itself would adopt its value. */
    return Promise.race([Promise.resolve(p).then(function () { return {api: p}; }), timeout]);
  }

  function sendSignature(form) {
    form.append("csrf_token", csrf);
    return fetch(current.dataset.signUrl, {method: "POST", body: form, credentials: "same-origin",
                 headers: {"X-Requested-With": "fetch", "Accept": "application/json"}})
      .then(function (r) { return r.json().catch(function () {
        return {ok: false, message: "Ошибка сервера (" + r.status + ")"}; }); })
      .catch(function () { return {ok: false, message: "Нет связи с сервером"}; });
  }

  function done(answer, dialog) {
    if (answer.ok) {
      try { window.sessionStorage.setItem("sign-notice", answer.message); } catch (e) { /* private mode */ }
      window.location.reload();
      return;
    }
    errorBox(dialog).textContent = answer.message;
  }

  function base64OfBuffer(buffer) {
    var bytes = new Uint8Array(buffer), chunks = [], step = 0x8000;
    for (var i = 0; i < bytes.length; i += step) {
      chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + step)));
    }
    return btoa(chunks.join(""));
  }

  function formatDate(value) {
    var d = new Date(value);
    if (isNaN(d.getTime())) { return String(value); }
    return d.toLocaleDateString("ru-RU");
  }

  function cnOf(dn) {
    var m = /(?:^|,\s*)CN=("?)([^,"]+)\1/.exec(dn || "");
    return m ? m[2] : (dn || "");
  }

  async function loadCertificates(loaded) {
    var p = loaded.api;
    var store = await p.CreateObjectAsync("CAdESCOM.Store");
    await store.Open(CAPICOM_CURRENT_USER_STORE, CAPICOM_MY_STORE, CAPICOM_STORE_OPEN_MAXIMUM_ALLOWED);
    var all = await store.Certificates;
    var count = await all.Count;
    var result = [];
    for (var i = 1; i <= count; i++) {
      var cert = await all.Item(i);
      var hasKey = await cert.HasPrivateKey();
      if (!hasKey) { continue; }
      result.push({cert: cert, subject: await cert.SubjectName, issuer: await cert.IssuerName,
                   validTo: await cert.ValidToDate, thumbprint: await cert.Thumbprint});
    }
    await store.Close();
    return result;
  }

  function renderCertificates() {
    Array.prototype.slice.call(list.querySelectorAll(".cert")).forEach(function (n) { n.remove(); });
    certificates.forEach(function (item, index) {
      var label = document.createElement("label");
      label.className = "cert";
      var radio = document.createElement("input");
      radio.type = "radio"; radio.name = "kep-cert"; radio.value = String(index);
      if (index === 0) { radio.checked = true; }
      var text = document.createElement("span");
      text.textContent = "Владелец: " + cnOf(item.subject) + "; издатель: " + cnOf(item.issuer) +
        "; действителен до " + formatDate(item.validTo);
      label.appendChild(radio); label.appendChild(text);
      list.appendChild(label);
    });
    certStatus.textContent = certificates.length ? "" :
      "В хранилище «Личное» нет сертификатов с закрытым ключом.";
  }

  async function signSelected() {
    var chosen = list.querySelector("input[name=kep-cert]:checked");
    var err = errorBox(certsBox);
    if (!chosen) { err.textContent = "Выберите сертификат"; return; }
    var button = certsBox.querySelector("[data-kep-send]");
    button.disabled = true;
    err.textContent = "";
    certStatus.textContent = "Подписание…";
    try {
      var p = (await plugin()).api;
      var response = await fetch(current.dataset.contentUrl, {credentials: "same-origin"});
      if (!response.ok) { throw new Error("Не удалось получить файл документа"); }
      var content = base64OfBuffer(await response.arrayBuffer());
      var signer = await p.CreateObjectAsync("CAdESCOM.CPSigner");
      await signer.propset_Certificate(certificates[Number(chosen.value)].cert);
      var signedData = await p.CreateObjectAsync("CAdESCOM.CadesSignedData");
      await signedData.propset_ContentEncoding(CADESCOM_BASE64_TO_BINARY);
      await signedData.propset_Content(content);
      var signature = await signedData.SignCades(signer, CADESCOM_CADES_BES, true);
      var form = new FormData();
      form.append("signature_b64", signature);
      certStatus.textContent = "Отправка подписи…";
      done(await sendSignature(form), certsBox);
    } catch (e) {
      err.textContent = "Не удалось подписать: " + (e && e.message ? e.message : e);
    } finally {
      certStatus.textContent = "";
      button.disabled = false;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kep-sign]");
    if (!button) { return; }
    current = button;
    confirmBox.querySelector("[data-kep-doc]").textContent = button.dataset.docName || "документ";
    plugin().then(function () { show(confirmBox); }, function () { show(missing); });
  });

  confirmBox.querySelector("[data-kep-yes]").addEventListener("click", function () {
    show(certsBox);
    certStatus.textContent = "Чтение сертификатов…";
    plugin().then(loadCertificates).then(function (items) {
      certificates = items;
      renderCertificates();
    }, function (e) {
      certStatus.textContent = "";
      errorBox(certsBox).textContent = "Не удалось прочитать сертификаты: " + (e && e.message ? e.message : e);
    });
  });
  certsBox.querySelector("[data-kep-send]").addEventListener("click", signSelected);
  certsBox.querySelector("[data-kep-other]").addEventListener("click", function () { show(missing); });
  [missing, confirmBox, certsBox].forEach(function (dialog) {
    Array.prototype.forEach.call(dialog.querySelectorAll("[data-kep-close]"), function (b) {
      b.addEventListener("click", function () { dialog.close(); });
    });
  });
  missing.querySelector("[data-kep-upload]").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = missing.querySelector("input[type=file]");
    if (!input.files.length) { errorBox(missing).textContent = "Выберите файл подписи (.sig)"; return; }
    var form = new FormData();
    form.append("signature", input.files[0]);
    sendSignature(form).then(function (answer) { done(answer, missing); });
  });
})();
