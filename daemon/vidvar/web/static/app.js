// vidvar's pages: live queue, job page, upload, health. No build step, no framework.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

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
  setInterval(soon, 10000);
  callback(null);
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
  const tbody = document.querySelector("#jobs tbody");
  const workers = document.getElementById("workers");
  const settling = document.getElementById("settling");
  let pending = false;
  async function refresh() {
    if (pending) return;
    pending = true;
    try {
      const data = await getJSON("/api/jobs?limit=100");
      workers.replaceChildren(...(data.workers.length ? data.workers.map((w) => el("p", {},
        el("strong", { class: w.alive ? "state-completed" : "state-failed" }, w.alive ? "● alive" : "● NOT RESPONDING"), ` worker ${w.id}`,
        w.current_job ? `, working on ${w.current_job}` : ", idle",
        w.paused ? el("span", { class: "warning" }, ` — paused: ${w.paused}`) : null))
        : [el("p", { class: "warning" }, "No daemon is running: jobs wait until `vidvar run` starts.")]));
      settling.hidden = !data.settling.length;
      settling.replaceChildren(el("h2", {}, `Settling (${data.settling_total})`),
        ...data.settling.map((s) => el("p", {}, `${s.watch}/${s.name}: complete in ${Math.round(s.settles_in)} s`)));
      tbody.replaceChildren(...(data.jobs.length ? data.jobs.map((job) => el("tr",
        { class: job.state === "failed" || job.failed_files ? "failed" : "", "data-job-id": job.job_id },
        el("td", {}, el("a", { href: `/jobs/${job.job_id}` }, job.job_id)),
        el("td", {}, job.name),
        el("td", {}, el("span", { class: `state state-${job.state}` }, stateLabel(job)), job.waiting_reason || job.error
          ? el("div", { class: job.state === "queued" ? "warning" : "error" }, job.waiting_reason || job.error) : null),
        el("td", {}, el("progress", { max: 100, value: job.progress }), ` ${job.progress}%`),
        el("td", {}, clock(job.eta_seconds)),
        el("td", {}, age(job.created_at))))
        : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No jobs yet: upload a video, or drop one into an inbox."))]));
    } catch (error) {
      workers.replaceChildren(el("p", { class: "error" }, `Cannot reach vidvar: ${error.message}`));
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
  async function refresh() {
    const job = await getJSON(`/api/jobs/${id}`);
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
    const outputs = job.files.reduce((n, f) => n + f.outputs.length, 0);
    document.getElementById("zip").hidden = !outputs;
    const previewBox = document.getElementById("preview-box");
    if (!active && job.state === "completed" && previewBox.hidden) {
      const img = document.getElementById("preview");
      img.onload = () => { previewBox.hidden = false; };
      img.src = `/api/jobs/${id}/files/preview.jpg?at=${Date.now()}`;
    }
    document.getElementById("files").replaceChildren(...job.files.map((file) => el("section", { class: "file" },
      el("h2", {}, file.name, " ", el("span", { class: `state state-${file.state}` }, file.state),
        file.state === "processing" ? ` ${file.progress}%${file.speed ? `, ${file.speed}x` : ""}${file.eta_seconds !== null ? `, ${clock(file.eta_seconds)} left` : ""}` : ""),
      file.error ? el("p", { class: "error" }, file.error) : null,
      file.warning ? el("p", { class: "warning" }, file.warning) : null,
      file.outputs.length ? el("table", { class: "outputs" },
        el("thead", {}, el("tr", {}, ...["Variation", "Effects", "To source", "Nearest sibling", "SSIM", "Size", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...file.outputs.map((o) => el("tr", {},
          el("td", {}, `v${o.variation}`),
          el("td", { class: "effects" }, Object.entries(o.effects).filter(([k]) => !k.endsWith("_seed"))
            .map(([k, v]) => `${k} ${typeof v === "number" ? +v.toFixed(3) : v}`).join(", ")),
          el("td", {}, o.figures ? o.figures.source_distance : ""),
          el("td", {}, o.figures ? o.figures.nearest_variation_distance : ""),
          el("td", {}, o.figures ? o.figures.ssim : ""),
          el("td", {}, `${(o.size / 1e6).toFixed(1)} MB`),
          el("td", {}, el("a", { href: `/api/jobs/${id}/files/${o.path.split("/").map(encodeURIComponent).join("/")}?download=1` }, "download")))))) : null)));
  }
  onChanges((change) => { if (!change || change.job_id === id) refresh(); });
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
