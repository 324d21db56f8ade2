// vidvar's pages: live queue, job page, upload, health. No build step, no framework.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

// Light or dark: the system's choice unless the toggle chose, which the browser keeps.
(function theme() {
  const root = document.documentElement;
  const kept = localStorage.getItem("vidvar-theme");
  if (kept) root.dataset.theme = kept;
  const dark = () => root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("theme");
    if (!button) return;
    const show = () => { button.setAttribute("aria-pressed", dark() ? "true" : "false"); button.textContent = dark() ? "Light mode" : "Dark mode"; };
    button.addEventListener("click", () => { root.dataset.theme = dark() ? "light" : "dark"; localStorage.setItem("vidvar-theme", root.dataset.theme); show(); });
    show();
  });
})();

async function getJSON(url) {
  const answer = await fetch(url, { credentials: "same-origin" });
  if (!answer.ok) throw new Error((await answer.json().catch(() => ({}))).error || answer.statusText);
  return answer.json();
}

async function post(url, data) {
  const headers = { "X-CSRF-Token": csrf };
  if (data !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(url, {
    method: "POST", credentials: "same-origin", headers,
    body: data === undefined ? undefined : JSON.stringify(data),
  });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.error || answer.statusText);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function clock(seconds) {
  if (seconds === null || seconds === undefined) return "";
  seconds = Math.round(seconds);
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}` : `${m}:${String(s).padStart(2, "0")}`;
}

function age(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds >= 86400) return `${Math.floor(seconds / 86400)}d`;
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds)}s`;
}

function stateLabel(job) {
  if (job.state === "completed" && job.failed_files) return `completed (${job.failed_files} of ${job.files} failed)`;
  return job.phase ? `${job.state}: ${job.phase}` : job.state;
}

// Live updates: server-sent events, with polling as the fallback.
function onChanges(callback) {
  let timer = null;
  const soon = () => { clearTimeout(timer); timer = setTimeout(callback, 150); };
  if (window.EventSource) {
    const source = new EventSource("/api/events");
    source.addEventListener("job", (event) => callback(JSON.parse(event.data)));
  }
  setInterval(soon, 10000);  // and when events cannot flow; the first paint has the data
}

// --- the queue -----------------------------------------------------------------------------

// Pause and resume: every daemon on the store holds new files; "now" stops running encodes.
async function pauseControls() {
  const said = document.getElementById("pause-state");
  const resume = document.getElementById("resume");
  const pauses = [document.getElementById("pause"), document.getElementById("pause-now")];
  function show(state) {
    said.textContent = state.reason ? `New files wait: ${state.reason}` : "Running: new files start as they arrive.";
    resume.hidden = !state.paused;
    for (const button of pauses) button.hidden = state.paused;
  }
  for (const button of pauses) {
    button.addEventListener("click", async () => {
      try { show(await post("/api/pause", { now: button.dataset.now === "true" })); } catch (e) { said.textContent = e.message; }
    });
  }
  resume.addEventListener("click", async () => {
    try { show(await post("/api/resume")); } catch (e) { said.textContent = e.message; }
  });
  const refresh = async () => { try { show(await getJSON("/api/pause")); } catch (e) { said.textContent = e.message; } };
  setInterval(refresh, 10000);
  await refresh();
}

async function queuePage() {
  pauseControls();
  // The rows came with the page; here they only follow changes: progress, speed and time
  // left of the rows shown, and a reload when a job the page does not show appears.
  const rows = () => {
    const found = new Map();
    for (const tr of document.querySelectorAll("tr[data-job-id]")) found.set(tr.dataset.jobId, [...(found.get(tr.dataset.jobId) || []), tr]);
    return found;
  };
  let pending = false;
  async function refresh(change) {
    if (pending) return;
    pending = true;
    try {
      const data = await getJSON("/api/jobs?limit=100");
      const shown = rows();
      for (const job of data.jobs) {
        const active = job.state === "queued" || job.state === "processing";
        const trs = shown.get(job.job_id);
        if (!trs) { if (change && active) { location.reload(); return; } continue; }  // a new job
        for (const tr of trs) {
          if (job.state !== tr.dataset.state && !active) { location.reload(); return; }  // it ended
          const state = tr.querySelector(".state");
          state.textContent = stateLabel(job); state.className = `state state-${job.state}`;
          tr.dataset.state = job.state;
          tr.querySelector("progress").value = job.progress;
          tr.querySelector(".percent").textContent = `${job.progress}%`;
          tr.querySelector(".speed").textContent = job.speed ? `${job.speed.toFixed(2)}×` : "";
          tr.querySelector(".eta").textContent = clock(job.eta_seconds);
        }
      }
    } catch (error) {
      document.getElementById("workers").textContent = `Cannot reach vidvar: ${error.message}`;
    } finally {
      pending = false;
    }
  }
  onChanges(refresh);
}

// --- one job --------------------------------------------------------------------------------

async function jobPage() {
  const box = document.getElementById("job");
  const id = box.dataset.jobId;
  const result = document.getElementById("action-result");
  for (const [button, action] of [["cancel", "cancel"], ["retry", "retry"]]) {
    document.getElementById(button).addEventListener("click", async () => {
      try {
        const answer = await post(`/api/jobs/${id}/${action}`);
        result.textContent = action === "cancel" ? `cancel: ${answer.state}` : "queued again";
      } catch (error) {
        result.textContent = error.message;
      }
      refresh();
    });
  }
  // The job folder's place on the share, to paste into a file browser.
  document.getElementById("copy-path").addEventListener("click", async () => {
    const path = document.getElementById("share-path").textContent;
    try { await navigator.clipboard.writeText(path); result.textContent = "copied"; }
    catch { window.getSelection().selectAllChildren(document.getElementById("share-path")); result.textContent = "selected: copy it with Ctrl+C"; }
  });
  // Formats: one tab per shape, each showing its variations.
  for (const tab of document.querySelectorAll(".format-tab")) {
    tab.addEventListener("click", () => {
      for (const other of tab.parentElement.querySelectorAll(".format-tab")) {
        const chosen = other === tab;
        other.setAttribute("aria-selected", chosen ? "true" : "false");
        document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
      }
    });
  }
  // Review: a verdict per variation, kept by vidvar (status.json shows it too).
  const approvedCount = () => document.querySelectorAll('.verdict[data-verdict="approved"][aria-pressed="true"]').length;
  for (const button of document.querySelectorAll(".verdict")) {
    button.addEventListener("click", async () => {
      const card = button.closest(".variation");
      const file = button.closest(".file").dataset.file;
      const on = button.getAttribute("aria-pressed") !== "true";
      try {
        await post(`/api/jobs/${id}/review`, { file, variation: Number(card.dataset.variation), format: card.dataset.format, verdict: on ? button.dataset.verdict : null });
        for (const other of card.querySelectorAll(".verdict")) other.setAttribute("aria-pressed", "false");
        button.setAttribute("aria-pressed", on ? "true" : "false");
        const count = approvedCount();
        document.getElementById("approved-count").textContent = count;
        document.getElementById("zip-approved").hidden = !count;
      } catch (error) {
        result.textContent = error.message;
      }
    });
  }
  // Selection: download exactly the chosen variations, with their manifest.
  const selected = document.getElementById("zip-selected");
  const chosen = () => [...document.querySelectorAll(".choose:checked")].map((c) => c.value);
  for (const box of document.querySelectorAll(".choose")) box.addEventListener("change", () => { selected.disabled = !chosen().length; });
  selected.addEventListener("click", () => {
    window.location.href = `/api/jobs/${id}/zip?outputs=${chosen().map(encodeURIComponent).join(",")}`;
  });
  // Compare: the source and one variation side by side, played together.
  const compare = document.getElementById("compare");
  const source = document.getElementById("compare-source");
  const variation = document.getElementById("compare-variation");
  for (const button of document.querySelectorAll(".compare-this")) {
    button.addEventListener("click", () => {
      const card = button.closest(".variation");
      source.src = `/api/jobs/${id}/source?file=${encodeURIComponent(button.dataset.file)}`;
      variation.src = card.querySelector("video").getAttribute("src");
      document.getElementById("compare-name").textContent = `variation ${card.dataset.variation}`;
      compare.hidden = false;
      compare.scrollIntoView({ behavior: "smooth" });
    });
  }
  document.getElementById("compare-play").addEventListener("click", () => {
    if (variation.paused) { source.currentTime = variation.currentTime; source.play(); variation.play(); }
    else { source.pause(); variation.pause(); }
  });
  variation.addEventListener("seeked", () => { source.currentTime = variation.currentTime; });
  variation.addEventListener("timeupdate", () => {
    if (Math.abs(source.currentTime - variation.currentTime) > 0.25) source.currentTime = variation.currentTime;
  });
  document.getElementById("compare-close").addEventListener("click", () => { source.pause(); variation.pause(); compare.hidden = true; });
  async function refresh() {
    const job = await getJSON(`/api/jobs/${id}`);
    if (job.state !== box.dataset.state && ["completed", "failed", "cancelled"].includes(job.state)) { location.reload(); return; }
    document.getElementById("job-state").textContent = job.state;
    document.getElementById("job-state").className = `state state-${job.state}`;
    document.getElementById("job-phase").textContent = job.phase || "";
    document.getElementById("job-progress").value = job.progress;
    document.getElementById("job-percent").textContent = `${job.progress}%`;
    document.getElementById("job-eta").textContent = job.eta_seconds !== null ? `${clock(job.eta_seconds)} left` : "";
    const waiting = document.getElementById("job-waiting");
    waiting.hidden = !job.waiting_reason; waiting.textContent = job.waiting_reason || "";
    const error = document.getElementById("job-error");
    error.hidden = !job.error; error.textContent = job.error || "";
    const active = job.state === "queued" || job.state === "processing";
    document.getElementById("cancel").disabled = !active;
    const retryable = job.waiting_reason || job.failed_files || job.state === "failed" || job.state === "cancelled";
    document.getElementById("retry").disabled = job.state === "processing" || !retryable;
    box.dataset.state = job.state;
  }
  onChanges((change) => { if (change && change.job_id === id) refresh(); });
}

// --- upload ---------------------------------------------------------------------------------

function uploadPage() {
  const form = document.getElementById("upload-form");
  const input = document.getElementById("files");
  const folder = document.getElementById("folder");
  const chosen = document.getElementById("chosen");
  const progress = document.getElementById("upload-progress");
  const result = document.getElementById("upload-result");
  let files = [];
  const show = () => { chosen.textContent = files.length ? `${files.length} file(s): ${files.map((f) => f.webkitRelativePath || f.name).join(", ")}` : ""; };
  input.addEventListener("change", () => { files = [...input.files]; show(); });
  folder.addEventListener("change", () => { files = [...folder.files]; show(); });
  document.getElementById("choose-folder").addEventListener("click", () => folder.click());
  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => { event.preventDefault(); drop.classList.remove("over"); files = [...event.dataTransfer.files]; show(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!files.length) { result.textContent = "Choose one or more videos first."; return; }
    const body = new FormData();
    body.append("watch", document.getElementById("watch").value);  // fields first, then files
    body.append("variations", document.getElementById("variations").value);
    const formats = [...document.querySelectorAll("#formats input:checked")].map((box) => box.value);
    body.append("formats", formats.join(","));
    for (const file of files) body.append("files", file, file.webkitRelativePath || file.name);
    const request = new XMLHttpRequest();
    request.open("POST", "/api/uploads");
    request.setRequestHeader("X-CSRF-Token", csrf);
    progress.hidden = false;
    request.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = (100 * e.loaded) / e.total; };
    request.onload = async () => {
      const answer = JSON.parse(request.responseText || "{}");
      if (request.status !== 201) { result.textContent = answer.error || `upload failed (${request.status})`; return; }
      result.textContent = `Uploaded ${answer.placed.join(", ")}; waiting for its job…`;
      for (;;) {  // the watcher queues it once it has settled: follow exactly this upload's job
        const upload = await getJSON(`/api/uploads/${answer.upload_id}`);
        if (upload.job_id) { window.location.href = `/jobs/${upload.job_id}`; return; }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    request.onerror = () => { result.textContent = "The upload was cut off."; };
    request.send(body);
  });
}

// --- health ---------------------------------------------------------------------------------

async function healthPage() {
  const data = await getJSON("/api/health");
  document.getElementById("health").replaceChildren(
    el("p", {}, `vidvar ${data.version}; config file ${data.config_file}`),
    el("p", {}, `Queue: ${data.queue_depth} waiting; ${Object.entries(data.counts).map(([s, n]) => `${n} ${s}`).join(", ") || "no jobs"}`),
    ...Object.entries(data.free_gb).map(([watch, gb]) => el("p", {}, `Free disk for ${watch}'s outputs: ${gb === null ? "unknown (share away?)" : `${gb} GB`}`)),
    ...data.workers.map((w) => el("p", {}, `Worker ${w.id}: ${w.alive ? "alive" : "NOT RESPONDING"}, heartbeat ${w.heartbeat_age} s ago`)));
  document.getElementById("config").textContent = JSON.stringify(data.config, null, 2);
}

const pages = { queue: queuePage, job: jobPage, upload: uploadPage, health: healthPage };
pages[document.body.dataset.page]?.();
