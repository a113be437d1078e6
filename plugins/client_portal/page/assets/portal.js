/* Client pages: open encrypted pages with WebCrypto, follow the system colour scheme,
   keep relative dates true. No third-party code, no eval. */
(function () {
  "use strict";

  var FORMAT = "client-portal/2"; /* the sealed page's format: deflated, then padded */
  var LABELS = "client-portal/1"; /* keys, wrapped copies and files keep the labels of /1 */
  var KEY_ID_LABEL = "client-portal key id";
  var DECIDE = LABELS + "/decide"; /* the HKDF info of the key decisions are signed with */

  /* ---- colour scheme ---- */
  var dark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function applyScheme() {
    document.body.setAttribute("data-md-color-scheme", dark && dark.matches ? "slate" : "default");
  }

  /* A translated label with its {placeholders} filled in. A function replacer, so "$&" or
     "$'" in a value (a file may be named anything) stays as written. */
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : whole;
    });
  }

  /* ---- relative dates: a page built days ago still says "in 2 days" correctly ---- */
  var DAY = 86400000;
  function dayNumber(text) {
    var parts = text.split("-").map(Number);
    return Date.UTC(parts[0], parts[1] - 1, parts[2]) / DAY;
  }
  /* Today in the client's zone, as the build counts it (the device's own day if the zone is unknown). */
  function todayNumber(zone) {
    var now = new Date();
    if (zone && window.Intl && Intl.DateTimeFormat) {
      try {
        var parts = {};
        new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "numeric", day: "numeric" })
          .formatToParts(now).forEach(function (part) { parts[part.type] = Number(part.value); });
        if (parts.year && parts.month && parts.day) return Date.UTC(parts.year, parts.month - 1, parts.day) / DAY;
      } catch (e) { /* an unknown zone: fall through */ }
    }
    return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / DAY;
  }
  function pluralOf(count) {
    var lang = document.documentElement.lang || "en";
    return window.Intl && Intl.PluralRules ? new Intl.PluralRules(lang).select(count) : (count === 1 ? "one" : "other");
  }
  /* The page's counted label for ``count`` ("3 days late"), from its one and other forms. */
  function counted(page, name, count) {
    var label = page.getAttribute(name + (pluralOf(count) === "one" ? "-one" : "-other"));
    return label ? fill(label, { num: String(count) }) : null;
  }
  function refreshRelativeDates(root, today) {
    var page = root.querySelector(".cp-page");
    root.querySelectorAll("time[data-late]").forEach(function (el) {
      var late = Math.round(today - dayNumber(el.getAttribute("datetime")));
      var label = page && late > 0 ? counted(page, "data-late", late) : null;
      if (label) el.textContent = label;
    });
    if (!window.Intl || !Intl.RelativeTimeFormat) return;
    var format = new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" });
    root.querySelectorAll("time[data-relative]").forEach(function (el) {
      el.textContent = format.format(Math.round(dayNumber(el.getAttribute("datetime")) - today), "day");
    });
  }

  /* ---- the page's age ----
     What depends on today is of two kinds. Counts of days ("in 2 days", "6 days ago", "3 days
     late") are counted again above, from today in the client's zone as the build counts it.
     Judgements ("On track", "Running late", what comes next, the timeline's today) are made
     once, at build time, by the same rules as `check`, `status` and the e-mails; the daily
     run keeps them true. Judging again here would be a second copy of those rules, bound to
     drift. So a page more than two days old (its daily run failed) says how old it is, with
     the freelancer's address, and hides what the build judged (marked data-cp-asof): never
     "On track" beside "6 days ago". Two days leave room for the zones between the build
     machine and the client, and for a run that is a few hours late. */
  var STALE_AFTER_DAYS = 2;
  function showAge(root, today) {
    var page = root.querySelector(".cp-page");
    var built = page && page.getAttribute("data-cp-built");
    var notice = root.querySelector(".cp-stale");
    if (!built || !/^\d{4}-\d{2}-\d{2}$/.test(built) || !notice) return;
    var age = Math.round(today - dayNumber(built));
    if (age <= STALE_AFTER_DAYS) return;
    var line = notice.querySelector(".cp-stale__age");
    var label = counted(notice, "data-stale", age);
    if (!line || !label) return;
    line.textContent = label;
    notice.hidden = false;
    root.querySelectorAll("[data-cp-asof]").forEach(function (el) { el.hidden = true; });
  }

  /* ---- what is new since this browser's last visit ----
     Items carry an opaque id and a fingerprint of what they show, both keyed (HMAC) at
     build time with a secret of the page, as is the name they are kept under: the pairs
     seen last time stay on this device (localStorage), never sent anywhere, and say
     nothing to a script that has not opened the page. */
  function seenName(root) {
    var page = root.querySelector(".cp-page");
    var name = page && page.getAttribute("data-cp-seen");
    return name && /^[0-9a-f]{16,64}$/.test(name) ? "cp-" + name : null;
  }

  function localDay() {
    var now = new Date();
    return [now.getFullYear(), now.getMonth() + 1, now.getDate()].map(function (n) {
      return n < 10 ? "0" + n : String(n);
    }).join("-");
  }

  function markWhatsNew(root) {
    var page = root.querySelector(".cp-page");
    var key = seenName(root);
    if (!page || !key || !window.JSON) return;
    var items = root.querySelectorAll("[data-cp-item]");
    var shown = {};
    items.forEach(function (el) { shown[el.getAttribute("data-cp-item")] = el.getAttribute("data-cp-state"); });
    var before = null;
    try { before = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { before = null; }
    try { localStorage.setItem(key, JSON.stringify({ visited: localDay(), items: shown })); } catch (e) { /* blocked */ }
    if (!before || typeof before.items !== "object" || !before.items) return; // a first visit marks nothing
    var changed = {};
    items.forEach(function (el) {
      var id = el.getAttribute("data-cp-item");
      var seenState = Object.prototype.hasOwnProperty.call(before.items, id) ? before.items[id] : null;
      if (seenState === el.getAttribute("data-cp-state")) return;
      var label = document.createElement("span");
      label.className = "cp-chip cp-chip--new";
      label.textContent = page.getAttribute(seenState === null ? "data-label-new" : "data-label-updated");
      el.classList.add("cp-new");
      el.insertBefore(label, el.firstChild);
      changed[id] = true;
    });
    var count = Object.keys(changed).length;
    var line = root.querySelector(".cp-whatsnew");
    if (!count || !line || !/^\d{4}-\d{2}-\d{2}$/.test(before.visited || "")) return;
    var lang = document.documentElement.lang || "en";
    var plural = pluralOf(count);
    var visited = new Date(before.visited + "T12:00:00");
    var day = window.Intl ? new Intl.DateTimeFormat(lang, { month: "short", day: "numeric" }).format(visited) : before.visited;
    line.textContent = fill(page.getAttribute(plural === "one" ? "data-since-one" : "data-since-other"), {
      num: String(count), date: day
    });
    line.hidden = false;
  }

  function enhance(root) {
    var page = root.querySelector(".cp-page");
    [["data-accent", "--cp-accent"], ["data-accent-dark", "--cp-accent-dark"]].forEach(function (pair) {
      var shade = page && page.getAttribute(pair[0]);
      if (shade && /^#[0-9a-f]{6}$/.test(shade)) document.documentElement.style.setProperty(pair[1], shade);
    });
    var today = todayNumber(page && page.getAttribute("data-cp-zone"));
    refreshRelativeDates(root, today);
    showAge(root, today);
    markWhatsNew(root);
    root.querySelectorAll("[data-cp-file]").forEach(function (button) {
      button.addEventListener("click", function () { downloadFile(button); });
    });
    signDecisions(root);
  }

  /* ---- decisions ----
     A decision control's reply ends with a line (see decisions/line.py) that the freelancer's
     `client-portal inbox` verifies: `b` names the key copy that opened this page, and `m` is
     an HMAC under a key derived from what opened it (the link's key, or the typed password),
     so only someone who could open the page can make it. The build leaves `b` and `m` empty
     on an encrypted page; an unlisted page, which holds no key, comes signed by the build. */
  var signer = null; /* { key: an HMAC CryptoKey that can only sign, by: the opened copy's id } */

  function decisionKey(material, info) {
    return subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) }, material, 256
    ).then(function (bits) {
      return subtle.importKey("raw", bits, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    });
  }

  /* c, i, d and s of a control's line, as the build gave them. */
  function decisionFields(control) {
    return ["client", "decide", "decision", "seen"].map(function (name) {
      return control.getAttribute("data-cp-" + name) || "";
    });
  }

  function decisionLine(fields, by, mac) {
    return "[cp1 c=" + fields[0] + " i=" + fields[1] + " d=" + fields[2] + " s=" + fields[3] +
      " b=" + by + " m=" + mac + "]";
  }

  /* The reply's body ends with the unsigned line, as the build wrote it: it becomes the signed one. */
  function signDecisions(root) {
    if (!signer) return;
    var by = signer.by;
    var key = signer.key;
    root.querySelectorAll("a[data-cp-decide]").forEach(function (control) {
      var fields = decisionFields(control);
      var href = control.getAttribute("href") || "";
      var unsigned = encodeURIComponent(decisionLine(fields, "", ""));
      if (href.slice(-unsigned.length) !== unsigned) return;
      var signed = ["cp1"].concat(fields, [by]).join("\n"); /* DecisionLine.signed */
      subtle.sign("HMAC", key, encoder.encode(signed)).then(function (mac) {
        var line = decisionLine(fields, by, toB64url(new Uint8Array(mac).slice(0, 16)));
        control.setAttribute("href", href.slice(0, -unsigned.length) + encodeURIComponent(line));
      });
    });
  }

  /* ---- attached files ----
     Fetched as a stream and decrypted chunk by chunk (AES-GCM, one message per chunk),
     so the ciphertext is never one big buffer; the plaintext becomes a Blob that is saved
     under the file's real name. Each chunk's associated data names the page, the file, the
     chunk and whether it is the last, so nothing can be cut, reordered or moved. */
  var FILE_CHUNK = 1048576;
  var TAG_BYTES = 16;
  /* WebCrypto hashes one contiguous buffer, and copies it to do so: past 32 MiB that is
     more memory than a phone should be asked for, so larger files are not fingerprinted. */
  var HASH_LIMIT = 32 * 1048576;

  function chunkNonce(index) {
    var nonce = new Uint8Array(12);
    new DataView(nonce.buffer).setUint32(8, index);
    return nonce;
  }

  /* Calls `open(bytes, index, last)` for each sealed chunk of the response, in order. */
  function eachChunk(response, sealedSize, open, progress) {
    var sealedChunk = FILE_CHUNK + TAG_BYTES;
    var count = Math.ceil(sealedSize / sealedChunk);
    var parts = [];
    var pending = 0;
    var received = 0;
    var index = 0;
    var chain = Promise.resolve();
    function take(length) {
      var out = new Uint8Array(length);
      var at = 0;
      while (at < length) {
        var part = parts[0];
        var n = Math.min(part.length, length - at);
        out.set(part.subarray(0, n), at);
        at += n;
        if (n === part.length) parts.shift(); else parts[0] = part.subarray(n);
      }
      pending -= length;
      return out;
    }
    function add(bytes, final) {
      if (bytes) {
        parts.push(bytes);
        pending += bytes.length;
        received += bytes.length;
        if (received > sealedSize) throw new Error("too long");
        progress(received / sealedSize);
      }
      while (index < count) {
        var length = Math.min(sealedChunk, sealedSize - index * sealedChunk);
        if (pending < length) break;
        chain = chain.then(open.bind(null, take(length), index, index === count - 1));
        index++;
      }
      if (final && (index < count || pending)) throw new Error("cut short");
      return chain;
    }
    if (!response.body || !response.body.getReader) {
      return response.arrayBuffer().then(function (buffer) { return add(new Uint8Array(buffer), true); });
    }
    var reader = response.body.getReader();
    function pump() {
      return reader.read().then(function (step) {
        if (step.done) return add(null, true);
        return add(step.value, false).then(pump); // waits for decryption: memory stays bounded
      });
    }
    return pump();
  }

  function save(parts, name) {
    var url = URL.createObjectURL(new Blob(parts, { type: "application/octet-stream" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000); // once the download has started
  }

  function downloadFile(button) {
    if (button.getAttribute("aria-busy") === "true") return;
    var list = button.closest(".cp-files");
    var status = button.closest(".cp-file").querySelector(".cp-file__status");
    var name = button.getAttribute("data-name");
    var size = Number(button.getAttribute("data-size"));
    var sha256 = button.getAttribute("data-sha256");
    var token = pageToken();
    var lang = document.documentElement.lang || "en";
    var percent = window.Intl ? new Intl.NumberFormat(lang, { style: "percent" }) : null;
    var plain = [];
    // Up to HASH_LIMIT the file is decrypted into one buffer, so its SHA-256 can be checked.
    var whole = size <= HASH_LIMIT ? new Uint8Array(size) : null;
    var written = 0;
    // the file's name isolated (FSI…PDI) where its direction can differ from the sentence's, as the build does
    var rtl = document.documentElement.dir === "rtl" || /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/.test(name);
    var shown = rtl ? "\u2068" + name + "\u2069" : name;
    function say(label, error, value) {
      status.textContent = fill(list.getAttribute(label), { percent: value || "", name: shown });
      status.classList.toggle("cp-file__status--error", !!error);
    }
    function open(key, bytes, index, last) {
      var associated = LABELS + "/file/" + token + "/" + sha256 + "/" + index + "/" + (last ? "last" : "more");
      return subtle.decrypt(
        { name: "AES-GCM", iv: chunkNonce(index), additionalData: encoder.encode(associated) }, key, bytes
      ).then(function (chunk) {
        var keep = Math.min(chunk.byteLength, size - written); // the rest is size padding
        if (keep > 0 && whole) whole.set(new Uint8Array(chunk, 0, keep), written);
        else if (keep > 0) plain.push(keep === chunk.byteLength ? chunk : chunk.slice(0, keep));
        written += Math.max(keep, 0);
      });
    }
    /* The label for a whole, decrypted file: checked against the published SHA-256, or, past
       HASH_LIMIT, vouched for by AES-GCM, whose tag on every chunk fails on any changed byte. */
    function proof() {
      if (!whole) return Promise.resolve("data-label-sealed");
      return subtle.digest("SHA-256", whole).then(function (digest) {
        if (toHex(new Uint8Array(digest)) !== sha256) throw new Error("mismatch");
        return "data-label-verified";
      });
    }
    button.setAttribute("aria-busy", "true");
    say("data-label-working", false, percent ? percent.format(0) : "");
    subtle.importKey("raw", fromB64url(button.getAttribute("data-key")), "AES-GCM", false, ["decrypt"])
      .then(function (key) {
        return fetch(new URL(button.getAttribute("data-cp-file"), location.href).href, { credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) throw new Error(response.status === 404 ? "missing" : "failed");
            return eachChunk(response, Number(button.getAttribute("data-sealed-size")), open.bind(null, key), function (share) {
              if (percent) say("data-label-working", false, percent.format(Math.min(share, 1)));
            });
          });
      })
      .then(function () {
        if (written !== size) throw new Error("failed");
        return proof();
      })
      .then(function (label) {
        save(whole ? [whole] : plain, name);
        say(label, false);
      })
      .catch(function (error) {
        var reason = error && error.message;
        say(reason === "missing" || reason === "mismatch" ? "data-label-" + reason : "data-label-failed", true);
      })
      .then(function () { button.removeAttribute("aria-busy"); plain = []; whole = null; });
  }

  /* ---- decryption ----
     The page key is unwrapped straight into a CryptoKey that scripts cannot read. The
     wrapping key's bytes pass through this script once (from the link or the password)
     and are dropped; what a device remembers (IndexedDB) is a non-extractable CryptoKey. */
  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary = atob(b64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  function toHex(bytes) {
    var hex = "";
    bytes.forEach(function (b) { hex += (b < 16 ? "0" : "") + b.toString(16); });
    return hex;
  }
  function toB64url(bytes) {
    var binary = "";
    bytes.forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  var encoder = window.TextEncoder ? new TextEncoder() : null;
  var subtle = window.crypto && window.crypto.subtle;

  function keyId(raw) {
    var label = encoder.encode(KEY_ID_LABEL);
    var data = new Uint8Array(label.length + raw.length);
    data.set(label);
    data.set(raw, label.length);
    return subtle.digest("SHA-256", data).then(function (digest) {
      return toB64url(new Uint8Array(digest).slice(0, 9));
    });
  }

  /* The page's token is its folder name: ciphertext moved to another folder will not open. */
  function pageToken() {
    var parts = location.pathname.split("/").filter(function (p) { return p && p !== "index.html"; });
    return parts[parts.length - 1] || "";
  }

  /* Resolves to the page HTML when `wrappingKey` opens the copy labelled `id`. */
  function openPage(payload, wrappingKey, id) {
    var token = pageToken();
    var entry = payload.keys.filter(function (k) { return k.id === id; })[0];
    if (!entry) return Promise.reject(new Error("invalid"));
    var aes = function (sealed, associated) {
      return { name: "AES-GCM", iv: fromB64url(sealed.iv), additionalData: encoder.encode(associated) };
    };
    return subtle.unwrapKey(
      "raw", fromB64url(entry.data), wrappingKey, aes(entry, LABELS + "/key/" + token + "/" + id),
      "AES-GCM", false, ["decrypt"]
    ).then(function (pageKey) {
      return subtle.decrypt(aes(payload.page, FORMAT + "/page/" + token), pageKey, fromB64url(payload.page.data));
    }).then(inflate);
  }

  function inflates() {
    try { return !!new DecompressionStream("deflate-raw"); } catch (e) { return false; } // Safari 16.4, Firefox 113 on
  }

  /* A decrypted page: the length of the deflated page, the page, then zeros up to its size
     bucket, cut off here because DecompressionStream rejects anything after the stream. */
  function inflate(plain) {
    var length = new DataView(plain).getUint32(0);
    if (4 + length > plain.byteLength) return Promise.reject(new Error("invalid"));
    var deflated = new Blob([new Uint8Array(plain, 4, length)]).stream();
    return new Response(deflated.pipeThrough(new DecompressionStream("deflate-raw"))).text();
  }

  function wrappingKey(raw) {
    return subtle.importKey("raw", raw, "AES-GCM", false, ["unwrapKey"]);
  }

  /* A link's key: its copy is found by id, no trial needed. */
  function linkKey(raw) {
    return Promise.all([keyId(raw), wrappingKey(raw)]).then(function (both) {
      return { id: both[0], key: both[1] };
    });
  }

  /* When the access of a link's key (or a stretched password) ended: the page lists the public
     mark of each ended one (crypto.ended_check), with its date sealed to that key, among
     decoys; anything else finds nothing, and reads no date. */
  function endedOn(payload, material) {
    var ended = payload.ended || [];
    var hkdf = function (info, bits) {
      return subtle.deriveBits(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(LABELS + info) }, material, bits
      );
    };
    return hkdf("/ended", 72).then(function (bits) {
      var check = toB64url(new Uint8Array(bits));
      var found = ended.filter(function (entry) { return entry.check === check; })[0];
      if (!found) return null;
      return hkdf("/ended-date", 256).then(function (key) {
        return subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"]);
      }).then(function (key) {
        return subtle.decrypt({
          name: "AES-GCM", iv: fromB64url(found.on.iv), additionalData: encoder.encode(LABELS + "/ended/" + check)
        }, key, fromB64url(found.on.data));
      }).then(function (day) { return new TextDecoder().decode(day); });
    }).catch(function () { return null; });
  }

  /* Says when this link or password ended, as a date in the page's language. */
  function showEnded(state, day) {
    // The gate holds an empty place for the date (an empty <time> is not valid HTML).
    gate.querySelectorAll("[data-cp-ended]").forEach(function (place) {
      var el = document.createElement("time");
      el.setAttribute("datetime", day);
      try {
        el.textContent = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
          dateStyle: "long", timeZone: "UTC"
        }).format(new Date(day + "T00:00:00Z"));
      } catch (e) {
        el.textContent = day;
      }
      place.replaceChildren(el);
    });
    show(state);
  }

  /* One PBKDF2 run for any password; then each copy's HKDF key is tried (a few AES blocks). */
  function openWithPassword(payload, password) {
    var kdf = payload.kdf;
    return subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"])
      .then(function (base) {
        return subtle.deriveBits(
          { name: "PBKDF2", hash: kdf.hash, salt: fromB64url(kdf.salt), iterations: kdf.iterations }, base, 256
        );
      })
      .then(function (bits) { return subtle.importKey("raw", bits, "HKDF", false, ["deriveBits"]); })
      .then(function (stretched) {
        return payload.keys.reduce(function (found, entry) {
          return found.catch(function () {
            return subtle.deriveBits(
              { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(LABELS + "/wrap/" + entry.id) },
              stretched, 256
            ).then(function (bits) {
              return wrappingKey(new Uint8Array(bits)).then(function (key) {
                return openPage(payload, key, entry.id).then(function (html) {
                  return decisionKey(stretched, DECIDE + "/" + entry.id).then(function (decide) {
                    return { html: html, key: key, id: entry.id, decide: decide };
                  });
                });
              });
            });
          });
        }, Promise.reject(new Error("invalid"))).catch(function (error) {
          return endedOn(payload, stretched).then(function (day) {
            error.ended = day;
            throw error;
          });
        });
      });
  }

  /* ---- what this device keeps ----
     A key that is not remembered lives only in this page's memory: a reload, a closed
     tab or a restarted browser asks for the link or the password again. Nothing of it
     goes to sessionStorage, which Chromium writes to disk and brings back with a restored
     session. Only "Remember me" keeps a key beyond the page: a non-extractable CryptoKey
     in IndexedDB, which scripts of this origin can use but never read. */
  var DB_NAME = "client-portal";
  var STORE = "keys";
  var OLD_PREFIX = "client-portal:"; // what earlier versions kept: fingerprints, and a tab's raw key

  function database(mode, action) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      var opening = indexedDB.open(DB_NAME, 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore(STORE); };
      opening.onerror = function () { reject(opening.error); };
      opening.onsuccess = function () {
        var db = opening.result;
        var tx = db.transaction(STORE, mode);
        var request = action(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(request.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }

  /* Removes what earlier versions left for every page: keys of closed tabs, a tab's raw key
     bytes (sessionStorage), plain fingerprints (localStorage). */
  function sweep() {
    [function () { return localStorage; }, function () { return sessionStorage; }].forEach(function (storage) {
      try {
        var kept = storage();
        Object.keys(kept).forEach(function (name) {
          if (name.indexOf(OLD_PREFIX) === 0) kept.removeItem(name);
        });
      } catch (e) { /* blocked */ }
    });
    return database("readwrite", function (store) {
      var walk = store.openCursor();
      walk.onsuccess = function () {
        var at = walk.result;
        if (!at) return;
        if (!at.value || at.value.remember !== true) at.delete();
        at.continue();
      };
      return walk;
    }).catch(function () {});
  }

  function remember(token, opened) {
    var entry = { id: opened.id, key: opened.key, decide: opened.decide, remember: true };
    return database("readwrite", function (store) { return store.put(entry, token); }).catch(function () {});
  }
  function forgetKey(token) {
    return database("readwrite", function (store) { return store.delete(token); }).catch(function () {});
  }
  function forgetDevice(token, whatsNew) {
    if (whatsNew) {
      try { localStorage.removeItem(whatsNew); } catch (e) { /* blocked */ }
    }
    return forgetKey(token);
  }
  function remembered(token) {
    return database("readonly", function (store) { return store.get(token); }).catch(function () { return null; });
  }

  /* Resolves to true when a key this device remembers opened the page. */
  function openRemembered(payload, token) {
    return remembered(token).then(function (entry) {
      if (!entry || entry.remember !== true) return false;
      // a device remembered before decisions were signed has no key to sign them: ask once more
      if (!(entry.decide instanceof CryptoKey)) return forgetKey(token).then(function () { return false; });
      return openPage(payload, entry.key, entry.id).then(function (html) {
        signer = { key: entry.decide, by: entry.id };
        reveal(html, true);
        return true;
      }, function () {
        // a version bump or a removed password: this device must ask again
        return forgetKey(token).then(function () { return false; });
      });
    });
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
    if (form) form.hidden = !(state === "password" || state === "wrong-password" || state === "ended-password");
    if (state === "password") document.getElementById("cp-password").focus(); // the one thing to do here
  }

  var gateTitle = document.title;

  function reveal(html, rememberedHere) {
    // The HTML was rendered and sanitised at build time; inserting it runs no script.
    content.innerHTML = html;
    // The page's own stylesheet comes sealed with it and belongs in <head> (its hash is in the CSP).
    content.querySelectorAll("style").forEach(function (style) {
      style.setAttribute("data-cp-page-style", "");
      document.head.appendChild(style);
    });
    var page = content.querySelector(".cp-page");
    if (page && page.getAttribute("data-title")) document.title = page.getAttribute("data-title");
    content.hidden = false;
    gate.hidden = true;
    var device = document.getElementById("cp-device");
    if (device) {
      device.hidden = false;
      device.querySelectorAll("[data-device]").forEach(function (el) {
        el.hidden = el.getAttribute("data-device") !== (rememberedHere ? "remembered" : "tab");
      });
    }
    enhance(content);
  }

  /* "Forget this device": the key and the what's-new state go; the page closes again. */
  function closePage(mode) {
    signer = null;
    document.querySelectorAll("style[data-cp-page-style]").forEach(function (style) { style.remove(); });
    content.innerHTML = "";
    content.hidden = true;
    document.title = gateTitle;
    var device = document.getElementById("cp-device");
    if (device) device.hidden = true;
    gate.hidden = false;
    show(mode === "password" ? "password" : "forgotten");
  }

  /* The key leaves the address bar and the tab's back entry as soon as it has worked, so a
     reload or a restored session asks for the link again. The browser's own history still
     keeps the visited link: no page can remove it. A preview (`mkdocs serve`, on the
     freelancer's own machine, whose index lists every link anyway) keeps it, so the reload
     that follows each edit of a record opens the page again. */
  function dropFragment() {
    if (document.getElementById("cp-payload").hasAttribute("data-cp-preview")) return;
    if (window.history && history.replaceState) {
      history.replaceState(history.state, "", location.pathname + location.search);
    }
  }

  function unlockWithLink(payload, fragment) {
    var raw;
    try { raw = fromB64url(fragment); } catch (e) { return show("invalid"); }
    if (raw.length !== 32) return show("invalid");
    linkKey(raw).then(function (opened) {
      return openPage(payload, opened.key, opened.id).then(function (html) {
        return subtle.importKey("raw", raw, "HKDF", false, ["deriveBits"]).then(function (material) {
          return decisionKey(material, DECIDE);
        }).then(function (decide) {
          signer = { key: decide, by: opened.id };
          dropFragment();
          reveal(html, false);
        });
      });
    }).catch(function () {
      return subtle.importKey("raw", raw, "HKDF", false, ["deriveBits"]).then(function (material) {
        return endedOn(payload, material);
      }).then(function (day) {
        if (day) showEnded("ended", day); else show("invalid");
      }, function () { show("invalid"); });
    });
  }

  function listenForPassword(payload, token) {
    var form = document.getElementById("cp-password-form");
    var input = document.getElementById("cp-password");
    var rememberBox = document.getElementById("cp-remember");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      show("working");
      openWithPassword(payload, input.value).then(function (opened) {
        input.value = "";
        signer = { key: opened.decide, by: opened.id };
        if (!rememberBox.checked) return reveal(opened.html, false);
        // kept before it shows: a tab closed or reloaded at once still finds a remembered key
        return remember(token, opened).then(function () { reveal(opened.html, true); });
      }).catch(function (error) {
        if (error && error.ended) showEnded("ended-password", error.ended); else show("wrong-password");
        input.select();
      });
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
    if (!subtle || !encoder || !inflates() || payload.format !== FORMAT) {
      return show("unsupported");
    }
    var token = pageToken();
    var forget = document.getElementById("cp-forget");
    if (forget) {
      forget.addEventListener("click", function () {
        forgetDevice(token, seenName(content)).then(function () { closePage(payload.mode); });
      });
    }
    var fragment = location.hash.replace(/^#/, "");
    var swept = sweep();
    if (payload.mode === "password") {
      listenForPassword(payload, token);
      return swept.then(function () { return openRemembered(payload, token); })
        .then(function (opened) { if (!opened) show("password"); });
    }
    window.addEventListener("hashchange", function () { location.reload(); });
    if (fragment) return unlockWithLink(payload, fragment);
    // a link page kept no key: after a reload it says so, rather than call the link incomplete
    show(returned() ? "forgotten" : "missing");
  }

  /* Whether this page was reloaded, or reached again through the tab's history. */
  function returned() {
    var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    return entries.length > 0 && (entries[0].type === "reload" || entries[0].type === "back_forward");
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
