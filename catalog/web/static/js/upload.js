/* Provider uploads from the browser: for each chosen file, compute its SHA-256 in pieces,
 * ask the catalogue for a presigned PUT (or multipart part URLs), send the bytes straight
 * to the object store with a progress bar, then ask the catalogue to verify and register
 * the file. Needs sha256.js. */
(function () {
  "use strict";
  var CHUNK = 4 * 1024 * 1024;

  function readChunk(blob) {
    if (blob.arrayBuffer) { return blob.arrayBuffer(); }
    return new Promise(function (resolve, reject) {
      var r = new FileReader();
      r.onload = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
      r.readAsArrayBuffer(blob);
    });
  }

  function hashFile(file, onProgress) {
    var h = new window.KdcSha256();
    var offset = 0;
    function next() {
      if (offset >= file.size) { return Promise.resolve(h.hex()); }
      var end = Math.min(offset + CHUNK, file.size);
      return readChunk(file.slice(offset, end)).then(function (buf) {
        h.update(new Uint8Array(buf));
        offset = end;
        onProgress(offset / (file.size || 1));
        return next();
      });
    }
    return next();
  }

  function postJSON(url, body, csrf) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {detail: resp.statusText}; }).then(function (data) {
        if (!resp.ok) { throw new Error(data.detail || resp.statusText); }
        return data;
      });
    });
  }

  function put(url, blob, contentType, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      if (contentType) { xhr.setRequestHeader("Content-Type", contentType); }
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { onProgress(e.loaded); } };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) { resolve(); }
        else { reject(new Error("PUT " + xhr.status)); }
      };
      xhr.onerror = function () { reject(new Error("network error")); };
      xhr.send(blob);
    });
  }

  function row(list, name) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", name);
    var status = document.createElement("span");
    status.className = "upload-status";
    li.appendChild(label); li.appendChild(bar); li.appendChild(status);
    list.appendChild(li);
    return {li: li, bar: bar, status: status};
  }

  function uploadOne(form, file, key, ui) {
    var csrf = document.getElementById("csrf").value;
    var msg = function (k) { return form.getAttribute("data-msg-" + k) || k; };
    ui.status.textContent = msg("hashing");
    return hashFile(file, function (f) { ui.bar.value = Math.round(f * 10); })
      .then(function (sha) {
        ui.status.textContent = msg("uploading");
        return postJSON(form.getAttribute("data-upload-url"),
                        {key: key, size: file.size, sha256: sha, content_type: file.type || null}, csrf);
      })
      .then(function (plan) {
        var total = file.size || 1;
        var progress = function (sent) { ui.bar.value = 10 + Math.round(85 * sent / total); };
        if (!plan.multipart) {
          return put(plan.url, file, plan.content_type, progress).then(function () { return plan; });
        }
        var sentBefore = 0;
        var chain = Promise.resolve();
        plan.parts.forEach(function (part) {
          chain = chain.then(function () {
            var start = (part.number - 1) * plan.part_size;
            var base = sentBefore;
            return put(part.url, file.slice(start, start + part.size), null, function (s) {
              progress(base + s);
            }).then(function () { sentBefore += part.size; });
          });
        });
        return chain.then(function () { return plan; });
      })
      .then(function (plan) {
        ui.status.textContent = msg("verifying");
        return postJSON(form.getAttribute("data-complete-url"), {upload_id: plan.upload_id}, csrf);
      })
      .then(function (obj) {
        ui.bar.value = 100;
        ui.li.className = "done";
        ui.status.textContent = msg("done") + " · " + obj.sha256.slice(0, 16) + "…";
      }, function (err) {
        ui.li.className = "failed";
        ui.status.textContent = msg("failed") + ": " + err.message;
      });
  }

  // After the uploads, the server's file list, count and total size replace the page's.
  function refreshFiles() {
    return fetch(window.location.href, {credentials: "same-origin"}).then(function (resp) {
      return resp.ok ? resp.text() : null;
    }).then(function (html) {
      if (!html) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html");
      ["version-summary", "version-files"].forEach(function (id) {
        var now = document.getElementById(id), next = fresh.getElementById(id);
        if (now && next) { now.replaceWith(document.importNode(next, true)); }
      });
      document.dispatchEvent(new CustomEvent("kdc:content"));
    }).catch(function () { /* the list stays as it was; a reload shows the files */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var input = document.getElementById("files");
      var prefix = (document.getElementById("prefix").value || "").trim().replace(/^\/+/, "");
      if (prefix && !/\/$/.test(prefix)) { prefix += "/"; }
      var list = document.getElementById("upload-list");
      var files = Array.prototype.slice.call(input.files || []);
      var chain = Promise.resolve();
      files.forEach(function (file) {
        var key = prefix + (file.webkitRelativePath || file.name);
        var ui = row(list, key);
        chain = chain.then(function () { return uploadOne(form, file, key, ui); });
      });
      chain.then(function () {
        var done = document.createElement("li");
        done.className = "all-done";
        done.textContent = form.getAttribute("data-msg-all-done");
        list.appendChild(done);
        return refreshFiles();
      });
    });
  });
})();
