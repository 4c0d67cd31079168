// The agents' chat console (templates/desk/chat/console.html): availability, offers, live chats.
// Replies are sent with a client id and shown as "sending…" until the server has stored them.
(function () {
  "use strict";
  var root = document.getElementById("chat-console");
  if (!root) return;
  var t = function (key) { return root.getAttribute("data-t-" + key) || ""; };
  var $ = function (sel) { return root.querySelector(sel); };
  var socket = null, retryDelay = 1000, stopped = false;
  var chats = {}; // public id -> chat data (with .lines)
  var current = null;
  var pending = {}; // client id -> payload, resent after a reconnect
  var agents = [], teams = [];
  var typingTimer = null, lastTyping = 0;

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function send(payload) {
    if (socket && socket.readyState === WebSocket.OPEN) { socket.send(JSON.stringify(payload)); return true; }
    return false;
  }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function renderOffers(offers) {
    var box = $("[data-offers]");
    box.textContent = "";
    offers.forEach(function (offer) {
      var div = el("div", undefined, "offer");
      div.setAttribute("data-offer", offer.chat);
      div.appendChild(el("p", offer.customer + (offer.contact_verified === false ? " (" + t("unverified") + ")" : "") + (offer.topic ? " · " + offer.topic : "") + (offer.reference ? " · " + offer.reference : "")));
      var accept = el("button", t("accept"), "button");
      accept.type = "button";
      accept.addEventListener("click", function () { send({ type: "accept", chat: offer.chat }); div.remove(); });
      var decline = el("button", t("decline"));
      decline.type = "button";
      decline.addEventListener("click", function () { send({ type: "decline", chat: offer.chat }); div.remove(); });
      div.appendChild(accept); div.appendChild(decline);
      box.appendChild(div);
    });
  }
  var offers = [];
  function addOffer(offer) {
    offers = offers.filter(function (o) { return o.chat !== offer.chat; }).concat([offer]);
    renderOffers(offers);
  }
  function dropOffer(chatId) {
    offers = offers.filter(function (o) { return o.chat !== chatId; });
    renderOffers(offers);
  }

  function renderList() {
    var list = $("[data-chats]");
    list.textContent = "";
    Object.keys(chats).forEach(function (id) {
      var chat = chats[id];
      var li = el("li");
      var b = el("button", chat.customer + (chat.topic ? " · " + chat.topic : "") + (chat.state === "ended" ? " ✓" : ""));
      b.type = "button";
      if (id === current) b.className = "current";
      b.addEventListener("click", function () { current = id; renderList(); renderCurrent(); });
      li.appendChild(b);
      list.appendChild(li);
    });
  }

  function fileUrl(id) { return root.getAttribute("data-file").replace(/\/0\/$/, "/" + id + "/"); }
  function lineNode(line) {
    var li = el("li", undefined, "line from-" + line.from + (line.sending ? " sending" : ""));
    var who = line.from === "customer" ? t("customer") : line.from === "note" ? t("note") : (line.name || t("you"));
    li.appendChild(el("span", who, "who"));
    var body = el("span", line.text || "", "body");
    (line.images || []).forEach(function (id) {
      var img = document.createElement("img");
      img.src = fileUrl(id); img.alt = ""; img.className = "chat-img";
      body.appendChild(img);
    });
    li.appendChild(body);
    li.appendChild(el("span", line.sending ? t("sending") : (line.at || "").slice(11, 16), "meta"));
    return li;
  }
  function renderCurrent() {
    var chat = current && chats[current];
    $("[data-empty]").hidden = !!chat;
    $("[data-panel]").hidden = !chat;
    if (!chat) return;
    if (kbFor !== current) searchArticles();
    $("[data-title]").textContent = chat.customer + (chat.topic ? " · " + chat.topic : "");
    var claim = $("[data-unverified]");
    claim.hidden = chat.contact_verified !== false;
    claim.textContent = t("unverified");
    var ticket = $("[data-ticket]");
    ticket.textContent = chat.ticket_reference || "";
    ticket.href = chat.ticket_url || "#";
    $("[data-rating]").textContent = chat.state === "ended" ? t("ended") + (chat.rating ? " " + t("rated") + " " + chat.rating + "/5" : "") : "";
    var lines = $("[data-lines]");
    lines.textContent = "";
    chat.lines.forEach(function (line) { lines.appendChild(lineNode(line)); });
    lines.scrollTop = lines.scrollHeight;
    $("[data-compose]").hidden = chat.state !== "active";
    var canned = $("[data-canned]");
    while (canned.options.length > 1) canned.remove(1);
    (chat.canned || []).forEach(function (c, i) { var o = el("option", c.title); o.value = String(i); canned.appendChild(o); });
    var opened = $("[data-open-tickets]");
    opened.textContent = "";
    (chat.open_tickets || []).forEach(function (tk) {
      var label = [tk.reference, tk.subject, tk.status].filter(Boolean).join(" · ");
      if (chat.contact_verified === false) label += " (" + t("unverified") + ")";
      var li = el("li"); var a = el("a", label);
      a.href = tk.url; a.target = "_blank"; a.rel = "noopener"; li.appendChild(a); opened.appendChild(li);
    });
    var to = $("[data-transfer-to]");
    while (to.options.length > 1) to.remove(1);
    agents.forEach(function (a) { var o = el("option", a.name); o.value = "agent:" + a.id; to.appendChild(o); });
    teams.forEach(function (tm) { var o = el("option", tm.name); o.value = "team:" + tm.id; to.appendChild(o); });
  }

  function upsertLine(chatId, line) {
    var chat = chats[chatId];
    if (!chat) return;
    var found = false;
    chat.lines = chat.lines.map(function (l) {
      if (line.client_id && l.client_id === line.client_id) { found = true; return line; }
      return l;
    });
    if (!found) chat.lines.push(line);
    if (chatId === current) renderCurrent();
  }

  function onMessage(event) {
    var data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type === "hello") {
      retryDelay = 1000;
      $("[data-status]").textContent = t("connected");
      $("[data-availability]").value = data.status;
      $("[data-capacity]").value = data.capacity;
      agents = data.agents || []; teams = data.teams || [];
      data.chats.forEach(function (c) { c.lines = c.messages; chats[c.chat] = c; });
      offers = data.offers || [];
      renderOffers(offers);
      if (!current && data.chats.length) current = data.chats[0].chat;
      renderList(); renderCurrent();
      Object.keys(pending).forEach(function (id) { send(pending[id]); });
    } else if (data.type === "offer") {
      addOffer(data);
    } else if (data.type === "offer_withdrawn") {
      dropOffer(data.chat);
    } else if (data.type === "chat") {
      data.lines = data.messages;
      chats[data.chat] = data;
      dropOffer(data.chat);
      current = data.chat;
      renderList(); renderCurrent();
    } else if (data.type === "message") {
      if (pending[data.client_id]) delete pending[data.client_id];
      upsertLine(data.chat, data);
    } else if (data.type === "ack") {
      delete pending[data.client_id];
      var chat = chats[data.chat];
      if (chat) chat.lines.forEach(function (l) { if (l.client_id === data.client_id) l.sending = false; });
      if (data.chat === current) renderCurrent();
    } else if (data.type === "state") {
      if (chats[data.chat]) {
        chats[data.chat].state = data.state;
        chats[data.chat].rating = data.rating;
        renderList();
        if (data.chat === current) renderCurrent();
      }
      if (data.state !== "offered") dropOffer(data.chat);
    } else if (data.type === "closed") {
      delete chats[data.chat];
      if (current === data.chat) current = null;
      renderList(); renderCurrent();
    } else if (data.type === "typing" && data.by === "customer" && data.chat === current) {
      var typing = $("[data-typing]");
      typing.textContent = t("typing"); typing.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 3000);
    } else if (data.type === "presence") {
      $("[data-availability]").value = data.status;
      $("[data-capacity]").value = data.capacity;
    } else if (data.type === "error") {
      if (data.client_id) delete pending[data.client_id];
      $("[data-status]").textContent = data.message;
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + root.getAttribute("data-ws"));
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      if (event.code === 4403) { stopped = true; return; }
      if (stopped) return;
      $("[data-status]").textContent = t("reconnecting");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    });
  }

  function submit(kind) {
    var text = $("[data-text]").value.trim();
    if (!text || !current) return;
    var payload = { type: kind, chat: current, client_id: newId(), text: text };
    pending[payload.client_id] = payload;
    upsertLine(current, { from: kind === "note" ? "note" : "agent", client_id: payload.client_id, text: text, sending: true });
    $("[data-text]").value = "";
    send(payload);
  }
  $("[data-compose]").addEventListener("submit", function (event) { event.preventDefault(); submit("reply"); });
  $("[data-note]").addEventListener("click", function () { submit("note"); });
  $("[data-text]").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit("reply"); }
  });
  $("[data-text]").addEventListener("input", function () {
    if (current && Date.now() - lastTyping > 2000) { lastTyping = Date.now(); send({ type: "typing", chat: current }); }
  });
  $("[data-canned]").addEventListener("change", function (event) {
    var chat = chats[current];
    var item = chat && chat.canned[parseInt(event.target.value, 10)];
    if (item) $("[data-text]").value = item.body;
    event.target.value = "";
  });
  // The knowledge base: search as the agent types; one click puts the article's text in the reply box.
  var kbTimer = null, kbFor = null;
  function searchArticles() {
    var list = $("[data-kb-results]");
    if (!current) { list.textContent = ""; return; }
    var chatId = current, query = $("[data-kb-query]").value;
    kbFor = chatId;
    fetch("/desk/chat/" + encodeURIComponent(chatId) + "/articles/?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { articles: [] }; })
      .then(function (data) {
        if (chatId !== current) return;
        list.textContent = "";
        if (!data.articles.length) { list.appendChild(el("li", t("kb-none"), "muted")); return; }
        data.articles.forEach(function (a) {
          var li = el("li");
          li.appendChild(el("strong", a.title));
          if (a.internal) li.appendChild(el("span", " (" + t("kb-internal") + ")", "muted"));
          var b = el("button", t("kb-insert"));
          b.type = "button";
          b.setAttribute("data-kb-insert", String(a.id));
          b.addEventListener("click", function () {
            var box = $("[data-text]");
            box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + a.body : a.body;
            box.focus();
          });
          li.appendChild(document.createTextNode(" "));
          li.appendChild(b);
          list.appendChild(li);
        });
      })
      .catch(function () {});
  }
  $("[data-kb-query]").addEventListener("input", function () {
    clearTimeout(kbTimer);
    kbTimer = setTimeout(searchArticles, 250);
  });
  $("[data-transfer]").addEventListener("click", function () {
    var target = $("[data-transfer-to]").value;
    if (!target || !current) return;
    var parts = target.split(":");
    var payload = { type: "transfer", chat: current };
    payload[parts[0]] = parseInt(parts[1], 10);
    send(payload);
  });
  $("[data-end]").addEventListener("click", function () { if (current) send({ type: "end", chat: current }); });
  $("[data-availability]").addEventListener("change", function (event) {
    send({ type: "status", status: event.target.value, capacity: parseInt($("[data-capacity]").value, 10) || null });
  });
  $("[data-capacity]").addEventListener("change", function () {
    send({ type: "status", status: $("[data-availability]").value, capacity: parseInt($("[data-capacity]").value, 10) || null });
  });
  setInterval(function () { send({ type: "ping" }); }, 25000);
  connect();
})();
