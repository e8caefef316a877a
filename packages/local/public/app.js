// callwright demo page: talks to an agent over WebRTC through the local edge of this server.
// URL parameters: call_id (join this call; without it the page starts a session itself),
// session_id, autostart=1, name, call_type, audio_processing=0 (turn off echo cancellation,
// noise suppression and auto gain), camera=1 (turn the camera on once connected), token (the
// join token of the call, which a guarded server asks for on its signalling routes).

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

const ui = {
  start: $("start"),
  startLabel: $("start-label"),
  conn: $("conn-state"),
  agent: $("agent-state"),
  orb: $("orb"),
  ring: $("ring"),
  hint: $("hint"),
  mic: $("mic-level"),
  agentLevel: $("agent-level"),
  transcript: $("transcript"),
  empty: $("transcript-empty"),
  jump: $("jump"),
  latency: $("latency"),
  latTotal: $("lat-total"),
  callId: $("call-id"),
  participantId: $("participant-id"),
  sessionWrap: $("session-wrap"),
  sessionId: $("session-id"),
  error: $("error"),
  agentName: $("agent-name"),
  stack: $("stack"),
  camera: $("camera"),
  screen: $("screen"),
  videos: $("videos"),
  selfView: $("self-view"),
  agentView: $("agent-view"),
  /** Plays the agent's voice (no element on the page: nothing to show). */
  audio: Object.assign(new Audio(), { autoplay: true }),
};

/** Everything the page knows; `window.callwright` exposes it for tests and curious people. */
const state = {
  callId: params.get("call_id") || undefined,
  callType: params.get("call_type") || "default",
  sessionId: params.get("session_id") || undefined,
  /** True when this page started the session (so it also closes it). */
  ownsSession: false,
  participantId: params.get("participant_id") || undefined,
  name: params.get("name") || undefined,
  /** The join token of the call: from the URL, or from the session this page started. */
  token: params.get("token") || undefined,
  pc: undefined,
  dc: undefined,
  stream: undefined,
  audioContext: undefined,
  running: false,
  connection: "idle",
  agentState: "none",
  reconnects: 0,
  /** The page's video: "none", "camera" or "screen", its track, and the transceiver it goes out on. */
  video: "none",
  videoTrack: undefined,
  videoTransceiver: undefined,
  events: [],
  lastTurn: undefined,
};
window.callwright = state;

const CONNECTION_LABELS = {
  idle: "Not connected",
  starting: "Starting…",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  ended: "Call ended",
  failed: "Connection failed",
};
const AGENT_LABELS = {
  none: "Agent: waiting",
  idle: "Agent: idle",
  listening: "Listening",
  user_speaking: "Hearing you",
  thinking: "Thinking",
  agent_speaking: "Speaking",
  left: "Agent left",
};

function setConnection(next, detail) {
  state.connection = next;
  ui.conn.dataset.state = next;
  ui.conn.querySelector("b").textContent = CONNECTION_LABELS[next] ?? next;
  if (detail !== undefined) showError(detail);
  const busy =
    next === "starting" || next === "connecting" || next === "connected" || next === "reconnecting";
  ui.start.setAttribute("aria-pressed", String(busy));
  ui.startLabel.textContent = busy ? "Stop" : "Start";
  ui.start.classList.toggle("stop", busy);
  if (next === "connected") ui.hint.textContent = "You're live. Talk naturally; interrupt any time.";
  else if (next === "starting" || next === "connecting") ui.hint.textContent = "Connecting to the agent…";
  else if (next === "reconnecting") ui.hint.textContent = "The connection dropped; reconnecting…";
  else if (next === "failed") ui.hint.textContent = "Could not connect. Press Start to try again.";
  else if (next === "ended") ui.hint.textContent = "The call has ended. Press Start to talk again.";
  else if (!busy) ui.hint.textContent = "Press Start and allow the microphone, then just talk.";
}

function setAgentState(next) {
  state.agentState = next;
  ui.agent.dataset.state = next;
  ui.orb.dataset.state = next;
  ui.agent.querySelector("b").textContent = AGENT_LABELS[next] ?? next;
}

function showError(message) {
  ui.error.textContent = message ?? "";
}

function setIds() {
  ui.callId.textContent = state.callId ?? "–";
  ui.participantId.textContent = state.participantId ?? "–";
  ui.sessionWrap.hidden = state.sessionId === undefined;
  ui.sessionId.textContent = state.sessionId ?? "–";
}

function randomId(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function detailOf(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg ?? String(d)).join("; ");
    return JSON.stringify(body);
  } catch {
    return `HTTP ${response.status}`;
  }
}

// ---------------------------------------------------------------- audio meters

function levelMeter(stream, onLevel) {
  state.audioContext ??= new AudioContext();
  const ctx = state.audioContext;
  if (ctx.state === "suspended") ctx.resume().catch(() => {});
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const data = new Float32Array(analyser.fftSize);
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    analyser.getFloatTimeDomainData(data);
    let sum = 0;
    for (const v of data) sum += v * v;
    onLevel(Math.sqrt(sum / data.length));
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return () => {
    stopped = true;
    source.disconnect();
  };
}

/** 0..1 on a speech-friendly log scale. */
function levelToFraction(rms) {
  if (rms <= 0.0005) return 0;
  const db = 20 * Math.log10(rms);
  return Math.max(0, Math.min(1, (db + 60) / 50));
}

let stopMicMeter = () => {};
let stopAgentMeter = () => {};

// ---------------------------------------------------------------- transcript

// Bubbles by speaker and turn, for the current connection only: turn ids start again at 1 in
// every session, so a new session starts a new map (and a divider under the old messages).
let bubbles = new Map();
let conversations = 0;

/** Called when a connection starts: the next messages go below a divider, in fresh bubbles. */
function newConversation() {
  finishConversation();
  bubbles = new Map();
  conversations += 1;
  if (conversations === 1) return;
  const divider = document.createElement("li");
  divider.className = "divider";
  divider.textContent = `New conversation · ${new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
  ui.transcript.append(divider);
  followTranscript = true;
  scrollTranscript();
}

/** The session ended: nothing is still being said, so no bubble stays in its interim style. */
function finishConversation() {
  for (const item of bubbles.values()) item.classList.remove("interim");
}

// The transcript follows the newest message unless the user scrolled up to read.
let followTranscript = true;

function nearBottom() {
  const t = ui.transcript;
  return t.scrollHeight - t.scrollTop - t.clientHeight < 48;
}

function scrollTranscript() {
  if (followTranscript) ui.transcript.scrollTop = ui.transcript.scrollHeight;
  ui.jump.hidden = followTranscript || nearBottom();
}

ui.transcript.addEventListener("scroll", () => {
  followTranscript = nearBottom();
  ui.jump.hidden = followTranscript;
});
// The window changed size (a phone turned, a laptop's window resized): stay at the newest message.
new ResizeObserver(() => {
  if (followTranscript) ui.transcript.scrollTop = ui.transcript.scrollHeight;
}).observe(ui.transcript);
ui.jump.addEventListener("click", () => {
  followTranscript = true;
  scrollTranscript();
});

/** An interrupted answer: what was played, then the rest of what was generated, struck through. */
function showInterrupted(text, heard, generated) {
  const rest = generated.startsWith(heard) ? generated.slice(heard.length) : "";
  const mark = document.createElement("span");
  mark.className = "cut-mark";
  mark.textContent = " ✂ interrupted";
  const unheard = document.createElement("span");
  unheard.className = "unheard";
  unheard.textContent = rest;
  text.replaceChildren(document.createTextNode(heard), unheard, mark);
}

function addTranscript(event) {
  ui.empty.hidden = true;
  const who = event.role === "agent" ? "agent" : "user";
  const key = `${who}:${event.participantId ?? ""}:${event.turnId}`;
  let item = bubbles.get(key);
  if (item === undefined) {
    item = document.createElement("li");
    item.className = `msg ${who}`;
    const label = document.createElement("span");
    label.className = "who";
    label.textContent =
      who === "agent"
        ? (state.agentDisplayName ?? "Agent")
        : event.participantId === undefined || event.participantId === state.participantId
          ? "You"
          : event.participantId;
    const text = document.createElement("p");
    item.append(label, text);
    ui.transcript.append(item);
    bubbles.set(key, item);
  }
  const text = item.querySelector("p");
  if (event.interrupted === true) showInterrupted(text, event.text, text.textContent);
  else text.textContent = event.text;
  item.classList.toggle("interim", !event.final);
  item.classList.toggle("interrupted", event.interrupted === true);
  scrollTranscript();
}

/** A line from the system (an error the agent reported), between the messages. */
function addNotice(text) {
  ui.empty.hidden = true;
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  ui.transcript.append(item);
  scrollTranscript();
}

// ---------------------------------------------------------------- latency

function showTurnMetrics(m) {
  state.lastTurn = m;
  const keys = ["sttMs", "llmFirstTokenMs", "ttsFirstAudioMs", "e2eMs"];
  const max = Math.max(1, ...keys.map((k) => (typeof m[k] === "number" ? m[k] : 0)));
  for (const row of ui.latency.querySelectorAll("[data-key]")) {
    const v = m[row.dataset.key];
    const has = typeof v === "number";
    row.querySelector("b").textContent = has ? `${Math.round(v)} ms` : "–";
    row.querySelector(".lbar > span").style.width = has ? `${Math.max(2, (v / max) * 100)}%` : "0";
  }
  ui.latTotal.textContent = typeof m.e2eMs === "number" ? `${Math.round(m.e2eMs)} ms` : "–";
}

// ---------------------------------------------------------------- data channel

function onMessage(raw) {
  let event;
  try {
    event = JSON.parse(raw);
  } catch {
    return;
  }
  state.events.push(event);
  if (state.events.length > 500) state.events.splice(0, state.events.length - 500);
  switch (event.type) {
    case "welcome":
      state.participantId = event.participant_id;
      setIds();
      if (event.agents === 0) setAgentState("none");
      break;
    case "info":
      state.agentDisplayName = event.agentName;
      ui.agentName.textContent = event.agentName;
      ui.stack.hidden = false;
      ui.stack.replaceChildren(
        ...[
          ["LLM", event.llm],
          ["STT", event.stt],
          ["TTS", event.tts],
          ["VAD", event.vad],
        ].map(([k, v]) => {
          const chip = document.createElement("span");
          chip.className = "chip";
          chip.innerHTML = "<b></b> <span></span>";
          chip.querySelector("b").textContent = k;
          chip.querySelector("span").textContent = v;
          return chip;
        }),
      );
      break;
    case "agent_state":
      setAgentState(event.state);
      break;
    case "transcript":
      addTranscript(event);
      break;
    case "turn_metrics":
      showTurnMetrics(event);
      break;
    case "error":
      addNotice(`${event.source ?? "agent"}: ${event.message ?? "something failed"}`);
      break;
    case "agent_joined":
      if (state.agentState === "none" || state.agentState === "left") setAgentState("listening");
      break;
    case "agent_left":
      if (event.agents === 0) setAgentState("left");
      break;
    case "call_ended":
      setAgentState("left");
      teardown({ leave: false });
      setConnection("ended");
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- WebRTC

function waitForIceGathering(pc, timeoutMs) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, timeoutMs);
  });
}

let iceServers = [];
let disconnectTimer;

async function connect() {
  const pc = new RTCPeerConnection({ iceServers });
  state.pc = pc;
  const [track] = state.stream.getAudioTracks();
  pc.addTransceiver(track, { direction: "sendrecv", streams: [state.stream] });
  // Always a video section, so the camera and the screen go on and off without renegotiating.
  state.videoTransceiver = pc.addTransceiver(state.videoTrack ?? "video", { direction: "sendrecv" });
  const dc = pc.createDataChannel("callwright");
  state.dc = dc;
  dc.onmessage = (e) => typeof e.data === "string" && onMessage(e.data);
  dc.onopen = () => sendVideoSource();
  // The server's side went away (it closes the channel at once; ICE would take ~5 s to notice).
  dc.onclose = () => state.pc === pc && state.running && reconnect();
  pc.ontrack = (e) => {
    if (e.track.kind === "video") {
      ui.agentView.srcObject = new MediaStream([e.track]);
      e.track.onunmute = () => {
        ui.agentView.hidden = false;
        ui.videos.hidden = false;
      };
      return;
    }
    const stream = e.streams[0] ?? new MediaStream([e.track]);
    ui.audio.srcObject = stream;
    ui.audio.play().catch(() => showError("Click anywhere to let the page play the agent's voice."));
    stopAgentMeter();
    stopAgentMeter = levelMeter(stream, (rms) => {
      ui.agentLevel.style.width = `${levelToFraction(rms) * 100}%`;
    });
  };
  pc.onconnectionstatechange = () => {
    if (state.pc !== pc) return;
    const s = pc.connectionState;
    if (s === "connected") {
      clearTimeout(disconnectTimer);
      state.reconnects = 0;
      setConnection("connected", "");
    } else if (s === "disconnected") {
      clearTimeout(disconnectTimer);
      disconnectTimer = setTimeout(() => state.pc === pc && reconnect(), 2000);
    } else if (s === "failed") {
      reconnect();
    }
  };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  await waitForIceGathering(pc, 1500);
  const response = await fetch(`/local/calls/${encodeURIComponent(state.callId)}/offer`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(state.token ? { "x-join-token": state.token } : {}) },
    body: JSON.stringify({
      sdp: pc.localDescription.sdp,
      type: "offer",
      ...(state.participantId ? { participant_id: state.participantId } : {}),
      ...(state.name ? { name: state.name } : {}),
    }),
  });
  if (!response.ok) throw new Error(await detailOf(response));
  const answer = await response.json();
  if (state.pc !== pc) return; // stopped meanwhile
  state.participantId = answer.participant_id;
  setIds();
  await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
}

async function reconnect() {
  if (!state.running || state.connection === "reconnecting") return;
  if (state.reconnects >= 5) {
    teardown({ leave: true });
    setConnection("failed", "Lost the connection to the agent.");
    return;
  }
  state.reconnects += 1;
  setConnection("reconnecting");
  state.pc?.close();
  await new Promise((r) => setTimeout(r, 500 * state.reconnects));
  if (!state.running) return;
  try {
    await connect();
  } catch (error) {
    showError(String(error.message ?? error));
    state.connection = "connecting";
    setTimeout(reconnect, 1000);
  }
}

// ---------------------------------------------------------------- camera and screen

/** Tells the agent what the page's video shows (it also sees packets start and stop). */
function sendVideoSource() {
  if (state.dc?.readyState === "open") state.dc.send(JSON.stringify({ type: "video", source: state.video }));
}

function showVideoButtons() {
  const live = state.running && state.pc !== undefined;
  ui.camera.disabled = !live;
  ui.screen.disabled = !live || !navigator.mediaDevices?.getDisplayMedia;
  ui.camera.setAttribute("aria-pressed", String(state.video === "camera"));
  ui.screen.setAttribute("aria-pressed", String(state.video === "screen"));
  ui.selfView.hidden = state.videoTrack === undefined;
  ui.videos.hidden = ui.selfView.hidden && ui.agentView.hidden;
}

async function setVideo(source) {
  const previous = state.videoTrack;
  let track;
  try {
    if (source === "camera") {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
      track = stream.getVideoTracks()[0];
    } else if (source === "screen") {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
      track = stream.getVideoTracks()[0];
    }
  } catch (error) {
    showError(
      error?.name === "NotAllowedError"
        ? "Camera or screen access was denied."
        : String(error.message ?? error),
    );
    return;
  }
  if (track !== undefined) track.onended = () => state.videoTrack === track && setVideo("none");
  state.videoTrack = track;
  state.video = track === undefined ? "none" : source;
  await state.videoTransceiver?.sender.replaceTrack(track ?? null).catch(() => {});
  previous?.stop();
  ui.selfView.srcObject = track === undefined ? null : new MediaStream([track]);
  sendVideoSource();
  showVideoButtons();
}

ui.camera.addEventListener("click", () => setVideo(state.video === "camera" ? "none" : "camera"));
ui.screen.addEventListener("click", () => setVideo(state.video === "screen" ? "none" : "screen"));

// ---------------------------------------------------------------- start / stop

async function start() {
  if (state.running) return;
  state.running = true;
  showError("");
  setConnection("starting");
  newConversation();
  try {
    const processing = params.get("audio_processing") !== "0";
    state.stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing },
    });
    stopMicMeter = levelMeter(state.stream, (rms) => {
      const f = levelToFraction(rms);
      ui.mic.style.width = `${f * 100}%`;
      ui.ring.style.setProperty("--level", f.toFixed(3));
    });
    if (state.callId === undefined) {
      state.callId = randomId("call-");
      const response = await fetch("/sessions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ call_id: state.callId, call_type: state.callType }),
      });
      if (!response.ok) throw new Error(`Could not start an agent: ${await detailOf(response)}`);
      const session = await response.json();
      state.sessionId = session.session_id;
      state.token = session.join_token || state.token;
      state.ownsSession = true;
    }
    setIds();
    try {
      const config = await (await fetch("/local/config")).json();
      iceServers = Array.isArray(config.ice_servers) ? config.ice_servers : [];
    } catch {
      iceServers = [];
    }
    if (!state.running) return;
    setConnection("connecting");
    await connect();
    showVideoButtons();
    if (params.get("camera") === "1" && state.video === "none") await setVideo("camera");
  } catch (error) {
    const message =
      error?.name === "NotAllowedError" ? "Microphone access was denied." : String(error.message ?? error);
    teardown({ leave: true });
    setConnection("failed", message);
  }
}

function leaveBeacons() {
  if (state.callId && state.participantId) {
    const token = state.token ? `?token=${encodeURIComponent(state.token)}` : "";
    const url = `/local/calls/${encodeURIComponent(state.callId)}/participants/${encodeURIComponent(state.participantId)}/leave${token}`;
    navigator.sendBeacon(url);
  }
  if (state.sessionId && (state.ownsSession || params.has("session_id"))) {
    navigator.sendBeacon(`/sessions/${encodeURIComponent(state.sessionId)}/close`);
  }
}

function teardown({ leave }) {
  const wasRunning = state.running;
  state.running = false;
  clearTimeout(disconnectTimer);
  if (leave && wasRunning) leaveBeacons();
  state.pc?.close();
  state.pc = undefined;
  state.dc = undefined;
  for (const t of state.stream?.getTracks() ?? []) t.stop();
  state.stream = undefined;
  state.videoTrack?.stop();
  state.videoTrack = undefined;
  state.video = "none";
  state.videoTransceiver = undefined;
  ui.selfView.srcObject = null;
  ui.agentView.srcObject = null;
  ui.agentView.hidden = true;
  showVideoButtons();
  stopMicMeter();
  stopAgentMeter();
  ui.mic.style.width = "0";
  ui.agentLevel.style.width = "0";
  ui.ring.style.setProperty("--level", "0");
  finishConversation();
  if (state.ownsSession) {
    // A fresh start makes a fresh session and call.
    state.callId = params.get("call_id") || undefined;
    state.sessionId = params.get("session_id") || undefined;
    state.ownsSession = false;
    state.participantId = params.get("participant_id") || undefined;
    state.token = params.get("token") || undefined;
  }
}

function stop() {
  teardown({ leave: true });
  setConnection("idle");
  setAgentState("none");
}

ui.start.addEventListener("click", () => (state.running ? stop() : start()));
window.addEventListener("pagehide", () => state.running && leaveBeacons());
document.addEventListener(
  "click",
  () => ui.audio.paused && ui.audio.srcObject && ui.audio.play().catch(() => {}),
);

setIds();
setConnection("idle");
if (params.get("autostart") === "1") start();
