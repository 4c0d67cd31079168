// The customer's side of a live chat (templates/public/chat/room.html). No framework, no inline script.
// A message is shown as "sending…" until the server acknowledges it, which it does only once the message
// is stored; unacknowledged messages are kept in sessionStorage and sent again (same client id) after
// a reconnect, and the server recognises a resend by that id.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;
  var t = function (key) { return root.getAttribute("data-t-" + key) || ""; };
  var linesEl = root.querySelector("[data-lines]");
  var statusEl = root.querySelector("[data-status]");
  var typingEl = root.querySelector("[data-typing]");
  var form = root.querySelector("[data-compose]");
  var textEl = root.querySelector("[data-text]");
  var imageEl = root.querySelector("[data-image]");
  var endBox = root.querySelector("[data-endbox]");
  var endButton = root.querySelector("[data-end]");
  var maxChars = parseInt(root.getAttribute("data-max"), 10) || 2000;
  var storeKey = "chat-pending:" + root.getAttribute("data-ws");
  var socket = null;
  var retryDelay = 1000;
  var stopped = false;
  var blockedReason = "";
  var state = {};
  var shown = {}; // client id -> line element
  var typingTimer = null;
  var lastTyping = 0;

  function pending() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || "[]"); } catch (e) { return []; }
  }
  function savePending(list) {
    try { sessionStorage.setItem(storeKey, JSON.stringify(list)); } catch (e) { /* private mode: memory only */ }
  }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function fileUrl(id) { return root.getAttribute("data-file").replace(/\/0\/$/, "/" + id + "/"); }

  function renderLine(msg, sending) {
    var li = msg.client_id && shown[msg.client_id];
    if (!li) {
      li = document.createElement("li");
      var who = document.createElement("span");
      who.className = "who";
      var body = document.createElement("span");
      body.className = "body";
      var meta = document.createElement("span");
      meta.className = "meta";
      li.appendChild(who); li.appendChild(body); li.appendChild(meta);
      linesEl.appendChild(li);
      if (msg.client_id) shown[msg.client_id] = li;
    }
    li.className = "line from-" + msg.from + (sending ? " sending" : "");
    li.querySelector(".who").textContent = msg.from === "customer" ? t("you") : (msg.name || t("agent"));
    var body = li.querySelector(".body");
    body.textContent = msg.text || "";
    (msg.images || []).forEach(function (id) {
      var img = document.createElement("img");
      img.src = fileUrl(id);
      img.alt = "";
      img.className = "chat-img";
      body.appendChild(img);
    });
    li.querySelector(".meta").textContent = sending ? t("sending") : (msg.at ? msg.at.slice(11, 16) : "");
    linesEl.scrollTop = linesEl.scrollHeight;
    return li;
  }

  function showState(s) {
    state = s;
    var text;
    if (s.state === "active") text = t("with") + " " + s.agent;
    else if (s.state === "ended") text = t("ended");
    else if (s.state === "offline") text = t("taken");
    else if (s.state === "waiting" && s.agents_online === false) text = t("offline");
    else text = t("waiting");
    if ((s.state === "offline" || s.state === "ended") && s.reference) text += " " + t("reference") + " " + s.reference;
    statusEl.textContent = text;
    var over = s.state === "ended";
    form.hidden = over;
    endButton.hidden = over || s.state === "offline";
    endBox.hidden = !(over || s.state === "offline");
    root.querySelector("[data-rating]").hidden = s.state !== "ended";
    if (s.rating) {
      root.querySelectorAll("[data-rate]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-rate") === String(s.rating)));
      });
      statusEl.textContent = t("thanks");
    }
  }

  function send(payload) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(payload)); return true; }
    return false;
  }
  function flush() { pending().forEach(function (p) { send({ type: "message", client_id: p.client_id, text: p.text }); }); }
  function acked(clientId) {
    savePending(pending().filter(function (p) { return p.client_id !== clientId; }));
    var li = shown[clientId];
    if (li) { li.classList.remove("sending"); li.querySelector(".meta").textContent = new Date().toTimeString().slice(0, 5); }
  }

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type === "hello") {
      retryDelay = 1000;
      (data.messages || []).forEach(function (m) { renderLine(m, false); });
      pending().forEach(function (p) { renderLine({ from: "customer", client_id: p.client_id, text: p.text }, true); });
      showState(data);
      flush();
    } else if (data.type === "state") {
      data.agents_online = state.agents_online;
      showState(data);
    } else if (data.type === "message") {
      if (data.from === "note") return;
      renderLine(data, false);
      if (data.from === "customer") acked(data.client_id);
      typingEl.hidden = true;
    } else if (data.type === "ack") {
      acked(data.client_id);
    } else if (data.type === "typing" && data.by === "agent") {
      typingEl.textContent = (state.agent || t("agent")) + " " + t("typing");
      typingEl.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typingEl.hidden = true; }, 3000);
    } else if (data.type === "error") {
      if (data.code === "blocked") {
        // The server closes the socket next (4403); the reason stays on screen.
        stopped = true; blockedReason = data.message; statusEl.textContent = data.message; form.hidden = true;
      } else if (data.code === "rate_limited") {
        statusEl.textContent = t("slow");
        setTimeout(flush, (data.retry || 10) * 1000);
      } else if (data.client_id) {
        savePending(pending().filter(function (p) { return p.client_id !== data.client_id; }));
        var li = shown[data.client_id];
        if (li) { li.classList.remove("sending"); li.classList.add("failed"); li.querySelector(".meta").textContent = data.message; }
      } else {
        statusEl.textContent = data.message;
      }
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.getAttribute("data-ws"));
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      if (event.code === 4403) { stopped = true; statusEl.textContent = blockedReason || t("refused"); form.hidden = true; return; }
      if (stopped) return;
      statusEl.textContent = t("reconnecting");
      var wait = event.code === 4429 ? 30000 : retryDelay;
      retryDelay = Math.min(retryDelay * 2, 10000);
      setTimeout(connect, wait);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = textEl.value.trim();
    if (!text) return;
    if (text.length > maxChars) { statusEl.textContent = t("too-long"); return; }
    var item = { client_id: newId(), text: text };
    savePending(pending().concat([item]));
    renderLine({ from: "customer", client_id: item.client_id, text: text }, true);
    textEl.value = "";
    send({ type: "message", client_id: item.client_id, text: text });
  });
  textEl.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  textEl.addEventListener("input", function () {
    if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); send({ type: "typing" }); }
  });
  imageEl.addEventListener("change", function () {
    var file = imageEl.files[0];
    if (!file) return;
    var clientId = newId();
    var li = renderLine({ from: "customer", client_id: clientId, text: file.name }, true);
    var body = new FormData();
    body.append("file", file);
    body.append("client_id", clientId);
    var attempt = function (tries) {
      fetch(root.getAttribute("data-upload"), { method: "POST", body: body, credentials: "omit" })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, json: j }; }); })
        .then(function (r) {
          if (r.ok) { acked(clientId); return; }
          li.classList.remove("sending"); li.classList.add("failed");
          li.querySelector(".meta").textContent = r.json.message || "";
        })
        .catch(function () { if (tries < 5) setTimeout(function () { attempt(tries + 1); }, 2000); });
    };
    attempt(0);
    imageEl.value = "";
  });
  endButton.addEventListener("click", function () { send({ type: "end" }); });
  root.querySelectorAll("[data-rate]").forEach(function (button) {
    button.addEventListener("click", function () { send({ type: "rate", rating: parseInt(button.getAttribute("data-rate"), 10) }); });
  });
  setInterval(function () { send({ type: "ping" }); }, 25000);
  connect();
})();
