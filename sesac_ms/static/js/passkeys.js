// Passkeys (WebAuthn): a form with data-passkey="register" or "sign-in" carries the server's
// options (JSON) in data-passkey-options. On submit, the browser makes or uses a passkey;
// its answer goes into the form's hidden "credential" field and the form is sent as usual.
// Messages come translated from the page (data-failed, data-unsupported).
(function () {
  "use strict";

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: fromBase64url(item.id) });
    });
  }

  function creationOptions(options) {
    return Object.assign({}, options, {
      challenge: fromBase64url(options.challenge),
      user: Object.assign({}, options.user, { id: fromBase64url(options.user.id) }),
      excludeCredentials: descriptors(options.excludeCredentials),
    });
  }

  function requestOptions(options) {
    return Object.assign({}, options, {
      challenge: fromBase64url(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    });
  }

  function registrationJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: response.getTransports ? response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function assertionJSON(credential) {
    var response = credential.response;
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
        userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  function say(form, key) {
    var box = form.querySelector("[data-passkey-error]");
    if (box) box.textContent = box.getAttribute("data-" + key) || "";
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var kind = form.getAttribute("data-passkey");
    var button = form.querySelector("button[type=submit]");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      if (button) button.disabled = true;
      say(form, "unsupported");
      return;
    }
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-passkey-ready") === "1") return;
      event.preventDefault();
      var name = form.querySelector("input[name=name]");
      if (kind === "register" && name && !name.value.trim()) {
        form.setAttribute("data-passkey-ready", "1");
        form.submit(); // the server says what is missing, beside the field
        return;
      }
      var options = JSON.parse(form.getAttribute("data-passkey-options"));
      var asked =
        kind === "register"
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
      if (button) button.disabled = true;
      asked
        .then(function (credential) {
          var answer = kind === "register" ? registrationJSON(credential) : assertionJSON(credential);
          form.querySelector("input[name=credential]").value = JSON.stringify(answer);
          form.setAttribute("data-passkey-ready", "1");
          form.submit();
        })
        .catch(function () {
          if (button) button.disabled = false;
          say(form, "failed");
        });
    });
  });
})();
