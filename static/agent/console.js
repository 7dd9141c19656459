/*
 * Agent console: the `/agent` Socket.IO namespace (docs/protocol.md), rendered with DOM APIs only.
 * Every customer, bot and agent string goes in through textContent, never innerHTML.
 */
(function () {
  "use strict";

  var ACK_TIMEOUT_MS = 5000;
  var STATUS_LABEL = { waiting: "Waiting", human: "With a person", bot: "Bot", closed: "Closed" };
  var STATUS_ORDER = { waiting: 0, human: 1, bot: 2, closed: 3 };
  var SENDER_LABEL = { customer: "Customer", bot: "Bot", agent: "Agent", system: "System", note: "Internal note" };

  var conversations = {}; // session_id -> Summary
  var unread = {}; // session_id -> true
  var intents = {}; // every intent name we know of
  // The shop's words for intents and reasons (the `list` ack's `labels`, from its policy).
  var labels = { intents: {}, reasons: {}, confidence: [[0.85, "sure"], [0.6, "fairly sure"], [0.35, "unsure"], [0, "guessing"]] };
  var current = null; // {id, messages: {id -> Message}, pending: [el]}
  var filter = "open";

  function $(id) {
    return document.getElementById(id);
  }

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
        if (k === "text") el.textContent = attrs[k];
        else if (k === "className") el.className = attrs[k];
        else el.setAttribute(k, attrs[k]);
      }
    }
    (children || []).forEach(function (c) {
      if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }

  function percent(x) {
    return Math.round(Number(x) * 100) + "%";
  }

  function words(name) {
    var text = String(name || "").replace(/_/g, " ").trim();
    return text ? text.charAt(0).toUpperCase() + text.slice(1) : "Unknown";
  }

  function intentLabel(name) {
    if (!name) return "No guess";
    return labels.intents[name] || words(name);
  }

  function reasonLabel(name) {
    return name ? labels.reasons[name] || words(name) : "";
  }

  function confidenceWords(x) {
    x = Number(x) || 0;
    for (var i = 0; i < labels.confidence.length; i++) if (x >= labels.confidence[i][0]) return labels.confidence[i][1];
    return "guessing";
  }

  // "Where is my order" with how sure the bot was: in words, and as a bar for the eye.
  function guessChip(name, confidence) {
    var bar = h("span", { className: "bar", "aria-hidden": "true" }, [
      h("span", { style: "width:" + Math.round(Math.max(0, Math.min(1, Number(confidence) || 0)) * 100) + "%" }),
    ]);
    return h("span", { className: "chip guess", title: percent(confidence) }, [
      intentLabel(name) + " · " + confidenceWords(confidence) + " ",
      bar,
    ]);
  }

  function who(c) {
    return c.customer_email || "Visitor";
  }

  function claim(c) {
    return !c.customer_email && c.claimed_email ? "says " + c.claimed_email + " (not proven)" : "";
  }

  function ago(ts) {
    var t = new Date(ts).getTime();
    if (isNaN(t)) return "";
    var s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 60) return "just now";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    return new Date(t).toLocaleDateString();
  }

  function clock(ts) {
    var d = new Date(ts);
    return isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function learnIntents(list) {
    (list || []).forEach(function (name) {
      if (typeof name === "string" && name) intents[name] = true;
    });
  }

  // ------------------------------------------------------------------ connection

  var socket = io("/agent", { withCredentials: true, transports: ["polling", "websocket"] });

  function request(event, data, done) {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, data, function (err, resp) {
      if (err) return done({ ok: false, error: "no answer from the server" });
      done(resp && typeof resp === "object" ? resp : { ok: false, error: "bad answer" });
    });
  }

  function setConn(name, text) {
    var el = $("conn");
    el.className = "conn " + name;
    el.textContent = text;
  }

  function banner(text, link) {
    var el = $("banner");
    el.textContent = text;
    if (link) {
      el.appendChild(document.createTextNode(" "));
      el.appendChild(h("a", { href: link.href, text: link.text }));
    }
    el.hidden = !text;
  }

  socket.on("connect", function () {
    setConn("online", "Connected");
    banner("");
    refresh();
  });
  socket.on("disconnect", function () {
    setConn("offline", "Disconnected, reconnecting…");
  });
  socket.on("connect_error", function (err) {
    if (!socket.active) {
      // The server refused the namespace: no (valid) login cookie. socket.io will not retry.
      setConn("offline", "Not signed in");
      banner("You are not signed in, or your session expired.", { href: "/agent/login", text: "Sign in" });
    } else {
      setConn("offline", "Connection lost, retrying…");
    }
  });
  socket.on("conversation", function (summary) {
    if (!summary || !summary.session_id) return;
    var known = conversations[summary.session_id];
    upsert(summary);
    if (!known && summary.status === "waiting") unread[summary.session_id] = true;
    renderList();
    if (current && current.id === summary.session_id) renderHeader();
  });
  socket.on("message", function (data) {
    if (!data || !data.session_id || !data.message) return;
    if (current && current.id === data.session_id) addMessage(data.message);
    else {
      unread[data.session_id] = true;
      renderList();
    }
  });

  function refresh() {
    request("list", {}, function (resp) {
      if (!resp.ok) return banner("Could not load conversations: " + (resp.error || "error"));
      conversations = {};
      (resp.conversations || []).forEach(upsert);
      learnIntents(resp.intents);
      if (resp.labels && typeof resp.labels === "object") {
        labels.intents = resp.labels.intents || {};
        labels.reasons = resp.labels.reasons || {};
        if (Array.isArray(resp.labels.confidence)) labels.confidence = resp.labels.confidence;
      }
      renderList();
      if (current) openConversation(current.id);
    });
  }

  function upsert(summary) {
    conversations[summary.session_id] = summary;
    (summary.intents || []).forEach(function (pair) {
      learnIntents([pair && pair[0]]);
    });
  }

  // ------------------------------------------------------------------ list

  function matches(summary, f) {
    if (f === "open") return summary.status !== "closed";
    return summary.status === f;
  }

  function sorted() {
    return Object.keys(conversations)
      .map(function (k) {
        return conversations[k];
      })
      .sort(function (a, b) {
        var d = (STATUS_ORDER[a.status] || 0) - (STATUS_ORDER[b.status] || 0);
        if (d) return d;
        return String(b.updated_at || "").localeCompare(String(a.updated_at || ""));
      });
  }

  function renderList() {
    var all = sorted();
    var list = $("list");
    list.textContent = "";
    var shown = 0;
    all.forEach(function (c) {
      if (!matches(c, filter)) return;
      shown++;
      list.appendChild(h("li", null, [listItem(c)]));
    });
    $("list-empty").hidden = shown > 0;
    Array.prototype.forEach.call(document.querySelectorAll(".filters button"), function (b) {
      var f = b.getAttribute("data-filter");
      var n = all.filter(function (c) {
        return matches(c, f);
      }).length;
      b.querySelector(".count").textContent = n ? String(n) : "";
      b.setAttribute("aria-pressed", String(f === filter));
    });
    var waiting = all.filter(function (c) {
      return c.status === "waiting";
    }).length;
    document.title = (waiting ? "(" + waiting + ") " : "") + "Support console";
  }

  function listItem(c) {
    var top = c.intents && c.intents[0];
    var button = h(
      "button",
      {
        type: "button",
        className: "conv" + (current && current.id === c.session_id ? " selected" : "") + (unread[c.session_id] ? " unread" : ""),
        "data-id": c.session_id,
        "aria-current": current && current.id === c.session_id ? "true" : null,
      },
      [
        h("span", { className: "conv-line" }, [
          h("span", { className: "badge " + c.status, text: STATUS_LABEL[c.status] || c.status }),
          h("span", { className: "conv-who", text: who(c) }),
          h("span", { className: "conv-time muted", text: ago(c.updated_at) }),
        ]),
        claim(c) ? h("span", { className: "conv-claim muted", text: claim(c) }) : null,
        c.escalation_reason ? h("span", { className: "conv-reason", text: reasonLabel(c.escalation_reason) }) : null,
        h("span", { className: "conv-last", text: c.last_message || "" }),
        h("span", { className: "conv-line chips small" }, [
          top ? guessChip(top[0], top[1]) : null,
          c.order ? h("span", { className: "chip", text: c.order }) : null,
          c.agent ? h("span", { className: "chip", text: c.agent }) : null,
          c.channel === "email" ? h("span", { className: "chip", text: "email" }) : null,
        ]),
      ],
    );
    button.addEventListener("click", function () {
      openConversation(c.session_id);
    });
    return button;
  }

  // ------------------------------------------------------------------ one conversation

  function openConversation(id) {
    var changed = !current || current.id !== id;
    current = { id: id, messages: {}, pending: [] };
    delete unread[id];
    $("empty").hidden = true;
    $("conv").hidden = false;
    $("transcript").textContent = "";
    renderHeader();
    renderList();
    if (changed) $("text").value = "";
    request("view", { session_id: id }, function (resp) {
      if (!current || current.id !== id) return;
      if (!resp.ok) {
        $("transcript").appendChild(
          h("li", { className: "m system", text: "Join the conversation to see the transcript." }),
        );
        return;
      }
      showConversation(resp);
    });
  }

  function showConversation(resp) {
    if (resp.conversation) upsert(resp.conversation);
    current.messages = {};
    $("transcript").textContent = "";
    (resp.messages || []).forEach(addMessage);
    renderHeader();
    renderList();
  }

  function renderHeader() {
    var c = conversations[current.id];
    if (!c) return;
    $("c-title").textContent = who(c);
    var status = $("c-status");
    status.className = "badge " + c.status;
    status.textContent = STATUS_LABEL[c.status] || c.status;
    $("c-agent").textContent = c.agent ? "with " + c.agent : "";
    $("c-email").textContent = c.customer_email || (claim(c) ? "Visitor, " + claim(c) : "Visitor (not proven)");
    $("c-order").textContent = c.order || "none";
    $("c-channel").textContent = c.channel || "chat";
    $("c-reason").textContent = reasonLabel(c.escalation_reason) || "None";
    var chips = $("c-intents");
    chips.textContent = "";
    (c.intents || []).forEach(function (pair) {
      chips.appendChild(guessChip(pair[0], pair[1]));
    });
    if (!(c.intents || []).length) chips.textContent = "No guess yet";
    $("c-summary").textContent = c.summary || "No summary yet.";

    var closed = c.status === "closed";
    $("join").hidden = c.status === "human" || closed;
    $("hand-back").hidden = c.status !== "human";
    $("close-conv").hidden = closed;
    var canReply = c.status === "human";
    var sendMode = document.querySelector('input[name="mode"][value="send"]');
    sendMode.disabled = !canReply;
    if (!canReply && sendMode.checked) document.querySelector('input[name="mode"][value="note"]').checked = true;
    if (canReply && !current.modeTouched) sendMode.checked = true;
    $("composer-hint").textContent = closed ? "Closed." : canReply ? "" : "Join to reply to the customer.";
    updatePlaceholder();
  }

  function updatePlaceholder() {
    var note = document.querySelector('input[name="mode"][value="note"]').checked;
    $("text").placeholder = note
      ? "Write an internal note (the customer never sees it)…"
      : "Write a reply… (Enter sends, Shift+Enter for a new line)";
    $("composer").classList.toggle("note-mode", note);
  }

  function addMessage(m) {
    if (!m || typeof m !== "object") return;
    if (m.id != null && current.messages[m.id]) return;
    // Replace this console's provisional copy of a message it sent (the ack had no message).
    for (var i = 0; i < current.pending.length; i++) {
      var p = current.pending[i];
      if (p.sender === m.sender && p.text === m.text) {
        p.el.remove();
        current.pending.splice(i, 1);
        break;
      }
    }
    var el = renderMessage(m);
    if (m.id != null) current.messages[m.id] = m;
    var log = $("transcript-box");
    var stick = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    $("transcript").appendChild(el);
    if (stick) log.scrollTop = log.scrollHeight;
    if (m.intent) learnIntents([m.intent]);
    return el;
  }

  // A quick-reply button's payload ("/human_agent", "/choose{\"order\": \"#1006\"}") as what
  // the customer pressed, in words.
  var PAYLOAD = /^\/([a-z_]+)(\{[\s\S]*\})?$/;

  function shownText(text) {
    var found = PAYLOAD.exec(String(text || "").trim());
    if (!found) return text || "";
    var values = [];
    try {
      var data = found[2] ? JSON.parse(found[2]) : {};
      for (var k in data) if (Object.prototype.hasOwnProperty.call(data, k)) values.push(String(data[k]));
    } catch (e) {
      return text;
    }
    var what = found[1] === "affirm" ? "Yes" : found[1] === "deny" ? "No" : labels.intents[found[1]] || words(found[1]);
    return "Pressed: " + what + (values.length ? " " + values.join(", ") : "");
  }

  function renderMessage(m) {
    var sender = SENDER_LABEL[m.sender] ? m.sender : "system";
    var who = SENDER_LABEL[sender];
    if (sender === "agent" && m.agent_name) who = m.agent_name;
    var children = [
      h("div", { className: "m-head" }, [
        h("span", { className: "m-who", text: who }),
        h("time", { datetime: m.ts || null, text: clock(m.ts) }),
      ]),
      h("div", { className: "m-text", text: sender === "customer" ? shownText(m.text) : m.text || "" }),
    ];
    if (sender === "customer" && m.id != null) children.push(labelBox(m));
    return h("li", { className: "m " + sender, "data-id": m.id != null ? String(m.id) : null }, children);
  }

  // The review queue: confirm the guessed intent, or pick another and confirm, in one click.
  function labelBox(m) {
    var select = h("select", { "aria-label": "What this message asks for" });
    var names = Object.keys(intents);
    if (m.intent && names.indexOf(m.intent) < 0) names.push(m.intent);
    names.sort(function (a, b) {
      return intentLabel(a).localeCompare(intentLabel(b));
    });
    if (!m.intent) select.appendChild(h("option", { value: "", text: "Choose what they want…" }));
    names.forEach(function (name) {
      var opt = h("option", { value: name, text: intentLabel(name) });
      if (name === m.intent) opt.selected = true;
      select.appendChild(opt);
    });
    var guess = m.intent
      ? h("span", {
          className: "m-guess",
          text: "Bot thought: " + intentLabel(m.intent) + (m.confidence != null ? " (" + confidenceWords(m.confidence) + ")" : ""),
        })
      : h("span", { className: "m-guess", text: "The bot had no guess" });
    var button = h("button", { type: "button", className: "small", text: "Confirm" });
    var result = h("span", { className: "m-labelled", role: "status" });
    function sync() {
      button.textContent = select.value && select.value !== m.intent ? "Correct" : "Confirm";
    }
    select.addEventListener("change", sync);
    button.addEventListener("click", function () {
      var intent = select.value;
      if (!intent) return select.focus();
      button.disabled = true;
      request("label", { message_id: m.id, intent: intent }, function (resp) {
        button.disabled = false;
        if (!resp.ok) {
          result.textContent = "Not saved: " + (resp.error || "error");
          result.className = "m-labelled error";
          return;
        }
        m.intent = intent;
        m.confidence = 1;
        guess.textContent = "Labelled: " + intentLabel(intent);
        result.textContent = "✓ saved";
        result.className = "m-labelled ok";
        sync();
      });
    });
    sync();
    return h("div", { className: "m-intent" }, [guess, select, button, result]);
  }

  // ------------------------------------------------------------------ actions

  function act(event, after) {
    if (!current) return;
    var id = current.id;
    request(event, { session_id: id }, function (resp) {
      if (!resp.ok) return banner("Could not " + event.replace("_", " ") + ": " + (resp.error || "error"));
      banner("");
      if (resp.conversation) upsert(resp.conversation);
      if (after) after(resp);
      renderList();
      if (current && current.id === id) renderHeader();
    });
  }

  $("join").addEventListener("click", function () {
    act("join", function (resp) {
      if (current && resp.messages) showConversation(resp);
      $("text").focus();
    });
  });
  $("hand-back").addEventListener("click", function () {
    act("hand_back", function () {
      var c = conversations[current.id];
      if (c) {
        c.status = "bot";
        c.agent = null;
      }
    });
  });
  $("close-conv").addEventListener("click", function () {
    if (!window.confirm("Close this conversation?")) return;
    act("close", function () {
      var c = conversations[current.id];
      if (c) c.status = "closed";
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll('input[name="mode"]'), function (r) {
    r.addEventListener("change", function () {
      if (current) current.modeTouched = true;
      updatePlaceholder();
    });
  });

  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    if (!current) return;
    var text = $("text").value.trim();
    if (!text) return;
    var note = document.querySelector('input[name="mode"][value="note"]').checked;
    var event = note ? "note" : "send";
    var id = current.id;
    $("send").disabled = true;
    request(event, { session_id: id, text: text }, function (resp) {
      $("send").disabled = false;
      if (!resp.ok) return banner("Not sent: " + (resp.error || "error"));
      banner("");
      $("text").value = "";
      if (!current || current.id !== id) return;
      if (resp.message) addMessage(resp.message);
      else if (!findSent(note ? "note" : "agent", text)) {
        // No copy yet: show a provisional one until the `message` event brings the stored one.
        var m = { id: null, ts: new Date().toISOString(), sender: note ? "note" : "agent", text: text };
        var el = addMessage(m);
        current.pending.push({ sender: m.sender, text: text, el: el });
      }
    });
  });

  function findSent(sender, text) {
    for (var k in current.messages) {
      var m = current.messages[k];
      if (m.sender === sender && m.text === text && Date.now() - new Date(m.ts).getTime() < 60000) return true;
    }
    return false;
  }

  $("text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });

  Array.prototype.forEach.call(document.querySelectorAll(".filters button"), function (b) {
    b.addEventListener("click", function () {
      filter = b.getAttribute("data-filter");
      renderList();
    });
  });

  // Keep the "3 min ago" labels current.
  setInterval(renderList, 60000);
})();
