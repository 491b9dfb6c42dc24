// Moves the progress bar of every bulk replay on the page (templates/webhooks/_replay_job_progress.html)
// by polling its progress URL until the job has finished. Without this script, a reload shows it.
(function () {
  "use strict";
  var POLL_MS = 1000;

  function update(box, job) {
    var bar = box.querySelector(".replay-job-bar");
    bar.max = job.total || 1;
    bar.value = job.total ? job.done : (job.finished ? 1 : 0);
    bar.textContent = job.percent + "%";
    box.querySelector(".replay-job-done").textContent = job.done;
    box.querySelector(".replay-job-total").textContent = job.total;
    var status = box.querySelector(".replay-job-status");
    status.textContent = job.status_display;
    status.className = "badge replay-job-status " + job.status;
    var error = box.querySelector(".replay-job-error");
    error.textContent = job.error;
    error.hidden = !job.error;
    box.dataset.finished = job.finished ? "true" : "false";
  }

  function poll(box) {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (job) {
        update(box, job);
        if (!job.finished) { window.setTimeout(function () { poll(box); }, POLL_MS); }
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, POLL_MS * 5); });
  }

  document.querySelectorAll(".replay-job[data-progress-url]").forEach(function (box) {
    if (box.dataset.finished !== "true") { poll(box); }
  });
})();
