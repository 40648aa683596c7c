// The upload page's script: the file sent as the request's body (as fleet software sends it),
// the bar moved by the bytes sent and the counts read from the upload's progress meanwhile.
// Without it the form is sent as multipart and the answer is the finished upload's page.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest) { return; }
  var section = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var counts = document.getElementById("upload-counts");
  var outcome = document.getElementById("upload-outcome");
  var id = form.dataset.uploadId;

  // Counts written as the page's language writes numbers.
  var number = new Intl.NumberFormat(document.documentElement.lang).format;

  function show(upload) {
    counts.textContent = section.dataset.counts
      .replace("{received}", number(upload.received))
      .replace("{accepted}", number(upload.accepted))
      .replace("{rejected}", number(upload.rejected))
      + (upload.state !== "DONE" && upload.state !== "RUNNING" && upload.message
        ? " " + section.dataset.failed.replace("{message}", upload.message) : "");
  }

  function poll() {
    fetch("/web/uploads/" + id + "/progress", { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (upload) { if (upload && upload.state === "RUNNING") { show(upload); } })
      .catch(function () {});
  }

  form.addEventListener("submit", function (event) {
    var file = form.elements.file.files[0];
    if (!file) { return; }
    event.preventDefault();
    form.querySelector("button[type=submit]").disabled = true;
    section.hidden = false;
    var name = file.name.toLowerCase();
    var ndjson = name.endsWith(".ndjson") || name.endsWith(".jsonl");
    var request = new XMLHttpRequest();
    var submit = form.elements.submit.checked ? "true" : "false";
    request.open("POST", "/web/uploads/" + id + "?submit=" + submit);
    request.setRequestHeader("content-type", ndjson ? "application/x-ndjson" : "application/json");
    request.setRequestHeader("x-csrf-token", form.dataset.csrf);
    request.upload.addEventListener("progress", function (sent) {
      if (sent.lengthComputable) { bar.value = Math.min(99, Math.floor(100 * sent.loaded / sent.total)); }
    });
    var polling = window.setInterval(poll, 500);
    request.addEventListener("loadend", function () {
      window.clearInterval(polling);
      if (request.status >= 200 && request.status < 300) {
        bar.value = 100;
        show(JSON.parse(request.responseText));
        outcome.hidden = false;
      } else {
        window.location.assign("/web/uploads/" + id);
      }
    });
    request.send(file);
  });
})();
