/* Client pages: open encrypted pages with WebCrypto, follow the system colour scheme,
   keep relative dates true. No third-party code, no eval. */
(function () {
  "use strict";

  var FORMAT = "client-portal/1";
  var KEY_ID_LABEL = "client-portal key id";
  var REMEMBER_PREFIX = "client-portal:";

  /* ---- colour scheme ---- */
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function applyScheme() {
    document.body.setAttribute("data-md-color-scheme", dark && dark.matches ? "slate" : "default");
  }

  /* ---- relative dates: a page built days ago still says "in 2 days" correctly ---- */
  var DAY = 86400000;
  function dayNumber(text) {
    var parts = text.split("-").map(Number);
    return Date.UTC(parts[0], parts[1] - 1, parts[2]) / DAY;
  }
  function todayNumber() {
    var now = new Date();
    return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / DAY;
  }
  function refreshRelativeDates(root) {
    if (!window.Intl || !Intl.RelativeTimeFormat) return;
    var format = new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" });
    root.querySelectorAll("time[data-relative]").forEach(function (el) {
      el.textContent = format.format(Math.round(dayNumber(el.getAttribute("datetime")) - todayNumber()), "day");
    });
  }

  function enhance(root) {
    var page = root.querySelector(".cp-page");
    var accent = page && page.getAttribute("data-accent");
    if (accent && /^#[0-9a-fA-F]{3,6}$/.test(accent)) {
      document.documentElement.style.setProperty("--cp-accent", accent);
    }
    refreshRelativeDates(root);
  }

  /* ---- decryption ---- */
  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function toB64url(bytes) {
    var binary = "";
    bytes.forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  var encoder = window.TextEncoder ? new TextEncoder() : null;

  function keyId(raw) {
    var label = encoder.encode(KEY_ID_LABEL);
    var data = new Uint8Array(label.length + raw.length);
    data.set(label);
    data.set(raw, label.length);
    return crypto.subtle.digest("SHA-256", data).then(function (digest) {
      return toB64url(new Uint8Array(digest).slice(0, 9));
    });
  }

  function aesOpen(raw, sealed, associated) {
    return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["decrypt"]).then(function (key) {
      return crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromB64url(sealed.iv), additionalData: encoder.encode(associated) },
        key,
        fromB64url(sealed.data)
      );
    });
  }

  /* The page's token is its folder name: ciphertext moved to another folder will not open. */
  function pageToken() {
    var parts = location.pathname.split("/").filter(function (p) { return p && p !== "index.html"; });
    return parts[parts.length - 1] || "";
  }

  /* Resolves to the page HTML, or rejects with "invalid" when this key cannot open it. */
  function openPage(payload, raw) {
    var token = pageToken();
    return keyId(raw).then(function (kid) {
      var entry = payload.keys.filter(function (k) { return k.id === kid; })[0];
      if (!entry) throw new Error("invalid");
      return aesOpen(raw, entry, FORMAT + "/key/" + token + "/" + kid);
    }).then(function (pageKey) {
      return aesOpen(new Uint8Array(pageKey), payload.page, FORMAT + "/page/" + token);
    }).then(function (plain) {
      return new TextDecoder().decode(plain);
    }, function () {
      throw new Error("invalid");
    });
  }

  function passwordKey(payload, password) {
    var kdf = payload.kdf;
    return crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"])
      .then(function (base) {
        return crypto.subtle.deriveBits(
          { name: "PBKDF2", hash: kdf.hash, salt: fromB64url(kdf.salt), iterations: kdf.iterations },
          base,
          256
        );
      })
      .then(function (bits) { return new Uint8Array(bits); });
  }

  var gate = document.getElementById("cp-gate");
  var content = document.getElementById("cp-content");

  function show(state) {
    gate.setAttribute("data-state", state);
    gate.querySelectorAll("[data-message]").forEach(function (el) {
      var states = el.getAttribute("data-message");
      el.hidden = !(states === state || (state === "wrong-password" && states === "password"));
    });
    var form = document.getElementById("cp-password-form");
    if (form) form.hidden = !(state === "password" || state === "wrong-password");
  }

  function reveal(html) {
    // The HTML was rendered and sanitised at build time; inserting it runs no script.
    content.innerHTML = html;
    var page = content.querySelector(".cp-page");
    if (page && page.getAttribute("data-title")) document.title = page.getAttribute("data-title");
    content.hidden = false;
    gate.hidden = true;
    enhance(content);
  }

  function remembered(token) {
    try { return localStorage.getItem(REMEMBER_PREFIX + token); } catch (e) { return null; }
  }
  function remember(token, raw) {
    try { localStorage.setItem(REMEMBER_PREFIX + token, toB64url(raw)); } catch (e) { /* private mode */ }
  }
  function forget(token) {
    try { localStorage.removeItem(REMEMBER_PREFIX + token); } catch (e) { /* private mode */ }
  }

  function unlockWithLink(payload) {
    var fragment = location.hash.replace(/^#/, "");
    if (!fragment) return show("missing");
    var raw;
    try { raw = fromB64url(fragment); } catch (e) { return show("invalid"); }
    if (raw.length !== 32) return show("invalid");
    openPage(payload, raw).then(reveal, function () { show("invalid"); });
  }

  function unlockWithPassword(payload) {
    var token = pageToken();
    var form = document.getElementById("cp-password-form");
    var input = document.getElementById("cp-password");
    var rememberBox = document.getElementById("cp-remember");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show("working");
      passwordKey(payload, input.value).then(function (raw) {
        return openPage(payload, raw).then(function (html) {
          if (rememberBox.checked) remember(token, raw);
          input.value = "";
          reveal(html);
        });
      }).catch(function () {
        show("wrong-password");
        input.select();
      });
    });
    var stored = remembered(token);
    if (!stored) return show("password");
    var raw;
    try { raw = fromB64url(stored); } catch (e) { raw = new Uint8Array(0); }
    openPage(payload, raw).then(reveal, function () {
      forget(token); // the password or a version changed: this device must ask again
      show("password");
    });
  }

  function unlock() {
    var payload;
    try {
      payload = JSON.parse(document.getElementById("cp-payload").textContent);
    } catch (e) {
      return show("invalid");
    }
    if (!window.isSecureContext) return show("insecure");
    if (!window.crypto || !crypto.subtle || !encoder || !window.TextDecoder || payload.format !== FORMAT) {
      return show("unsupported");
    }
    if (payload.mode === "password") return unlockWithPassword(payload);
    unlockWithLink(payload);
    window.addEventListener("hashchange", function () { location.reload(); });
  }

  window.clientPortal = { enhance: enhance };
  applyScheme();
  if (dark && dark.addEventListener) dark.addEventListener("change", applyScheme);
  if (gate && content) {
    unlock();
  } else if (content) {
    enhance(content);
  }
})();
