/*
 * Chat widget: one <script> tag embeds a live chat on any page.
 *
 *   <script src="https://bot.shop.com/static/widget.js" data-server="https://bot.shop.com" async></script>
 *
 * Options come from the tag's data-* attributes and/or a `window.ChatbotWidget` object set
 * before the tag (the object wins). See docs/widget.md; the protocol is docs/protocol.md.
 *
 * Safety rules this file keeps:
 * - everything renders inside an open Shadow DOM, so host CSS cannot reach in and ours cannot leak;
 * - every piece of customer, bot or agent text goes in through textContent / text nodes, never
 *   innerHTML; links are built as elements and only http(s) URLs become hrefs;
 * - no globals: the Socket.IO client is loaded on demand and `window.io` is restored afterwards.
 */
(function () {
  "use strict";

  var HOST_ID = "chatbot-widget-host";
  if (document.getElementById(HOST_ID)) return; // embedded twice

  var MAX_STORED = 200;
  var HUMAN_PAYLOAD = "/human_agent";
  var TYPING_TIMEOUT_MS = 30000;

  // ------------------------------------------------------------------ configuration

  function findScript() {
    if (document.currentScript) return document.currentScript;
    var tags = document.querySelectorAll("script[src]");
    for (var i = tags.length - 1; i >= 0; i--) {
      if (/\/widget\.js(\?|#|$)/.test(tags[i].src)) return tags[i];
    }
    return null;
  }

  function readConfig(script, obj) {
    var ds = (script && script.dataset) || {};
    obj = obj && typeof obj === "object" ? obj : {};
    var server = obj.server || ds.server;
    if (!server && script && script.src) server = new URL(script.src, location.href).origin;
    server = String(server || location.origin).replace(/\/+$/, "");

    var colors = {};
    if (ds.color) colors.primary = ds.color;
    if (typeof obj.colors === "string") colors.primary = obj.colors;
    else if (obj.colors && typeof obj.colors === "object") {
      for (var k in obj.colors) if (Object.prototype.hasOwnProperty.call(obj.colors, k)) colors[k] = obj.colors[k];
    }

    var identity = obj.identity;
    if (!identity && ds.identityEmail) {
      identity = {
        email: ds.identityEmail,
        expires: parseInt(ds.identityExpires, 10),
        signature: ds.identitySignature,
      };
    }

    function flag(name, dflt) {
      if (typeof obj[name] === "boolean") return obj[name];
      var v = ds[name];
      if (v === undefined) return dflt;
      return v !== "false" && v !== "0";
    }

    // Socket.IO transports, in order: "websocket" alone suits several server processes
    // without sticky sessions (docs/deployment.md); anything unknown keeps the default.
    var transports = obj.transports || ds.transports;
    if (typeof transports === "string") transports = transports.split(/[\s,]+/);
    transports = Array.isArray(transports)
      ? transports.filter(function (t) { return t === "polling" || t === "websocket"; })
      : [];
    if (!transports.length) transports = ["polling", "websocket"];

    return {
      server: server,
      path: obj.path || ds.path || "/socket.io",
      transports: transports,
      title: String(obj.title || ds.title || "Chat with us"),
      greeting: String(obj.greeting || ds.greeting || ""),
      position: (obj.position || ds.position) === "left" ? "left" : "right",
      colors: colors,
      identity: identity && identity.email ? identity : null,
      open: flag("open", false),
      humanButton: flag("humanButton", true),
      storageKey: "chatbot-widget:" + server,
    };
  }

  var config = readConfig(findScript(), window.ChatbotWidget);

  // ------------------------------------------------------------------ persisted state

  function loadState() {
    var s = null;
    try {
      s = JSON.parse(window.localStorage.getItem(config.storageKey) || "null");
    } catch (e) {
      s = null;
    }
    if (!s || s.v !== 1) s = { v: 1 };
    // The stored chat belongs to whoever the host page said was signed in when it began.
    // Another customer, or nobody (signed out), gets a new session: never the last one's
    // transcript or what it proved (the server checks the identity of every message too).
    var who = config.identity ? String(config.identity.email) : null;
    var storedWho = typeof s.who === "string" ? s.who : null;
    if (storedWho !== who) s = { v: 1, open: s.open, titles: s.titles };
    return {
      v: 1,
      who: who,
      sessionId: typeof s.sessionId === "string" ? s.sessionId : null,
      messages: Array.isArray(s.messages) ? s.messages : [],
      owner: s.owner === "human" ? "human" : "bot",
      agentName: typeof s.agentName === "string" ? s.agentName : null,
      // A hand-off on its way: "person" (a colleague joins here) or "email" (by email).
      waiting: s.waiting === "person" || s.waiting === "email" ? s.waiting : null,
      unread: typeof s.unread === "number" ? s.unread : 0,
      open: !!s.open,
      titles: s.titles && typeof s.titles === "object" ? s.titles : {},
    };
  }

  var state = loadState();
  var msgs = []; // {id, ts, sender, text, quick_replies, agent_name, cid, pending, failed, el}
  var byId = {};

  function saveState() {
    var keep = [];
    for (var i = 0; i < msgs.length; i++) {
      var m = msgs[i];
      if (m.pending || m.failed) continue; // the server resends what it received (see protocol.md)
      keep.push({
        id: m.id,
        ts: m.ts,
        sender: m.sender,
        text: m.text,
        quick_replies: m.quick_replies || undefined,
        agent_name: m.agent_name || undefined,
      });
    }
    state.messages = keep.slice(-MAX_STORED);
    try {
      window.localStorage.setItem(config.storageKey, JSON.stringify(state));
    } catch (e) {
      /* private mode or full quota: the chat still works, only without history */
    }
  }

  function lastMessageId() {
    var max = null;
    for (var i = 0; i < msgs.length; i++) {
      if (typeof msgs[i].id === "number" && (max === null || msgs[i].id > max)) max = msgs[i].id;
    }
    return max;
  }

  // ------------------------------------------------------------------ DOM helpers

  var SVG_NS = "http://www.w3.org/2000/svg";

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
        if (k === "text") el.textContent = attrs[k];
        else if (k === "className") el.className = attrs[k];
        else if (k === "hidden") el.hidden = !!attrs[k];
        else el.setAttribute(k, attrs[k]);
      }
    }
    (children || []).forEach(function (c) {
      if (c) el.appendChild(c);
    });
    return el;
  }

  function icon(d, cls) {
    var svg = document.createElementNS(SVG_NS, "svg");
    if (cls) svg.setAttribute("class", cls);
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
    return svg;
  }

  var ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
  var ICON_CLOSE = "M6 6l12 12M18 6L6 18";
  var ICON_SEND = "M3 20l18-8L3 4l2 8-2 8zm2-8h8";

  var URL_RE = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

  // Fills `el` with text, turning http(s) URLs into links; never parses markup.
  function setRichText(el, text) {
    el.textContent = "";
    var last = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text))) {
      if (match.index > last) el.appendChild(document.createTextNode(text.slice(last, match.index)));
      var a = document.createElement("a");
      a.href = match[0];
      var shown = match[0].replace(/^https?:\/\//, "");
      a.textContent = shown.length > 40 ? shown.slice(0, 38) + "…" : shown;
      a.title = match[0];
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      el.appendChild(a);
      last = match.index + match[0].length;
    }
    if (last < text.length) el.appendChild(document.createTextNode(text.slice(last)));
  }

  function formatTime(ts) {
    var d = ts ? new Date(ts) : new Date();
    if (isNaN(d.getTime())) return "";
    var time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    if (d.toDateString() === new Date().toDateString()) return time;
    return d.toLocaleDateString([], { day: "numeric", month: "short" }) + ", " + time;
  }

  function randomId() {
    if (window.crypto && window.crypto.randomUUID) return "c-" + window.crypto.randomUUID();
    return "c-" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // ------------------------------------------------------------------ build the UI

  var host = document.createElement("div");
  host.id = HOST_ID;
  // Inline !important beats any host rule (even `* { ... !important }`), and resets what would
  // otherwise be inherited into the shadow tree.
  host.setAttribute("style", "all: initial !important; display: contents !important;");
  var shadow = host.attachShadow({ mode: "open" });

  var CSS = [
    ":host { all: initial; }",
    ".cbw { --primary: #3156d3; --on-primary: #fff; --bg: #fff; --fg: #1f2329; --muted: #555e6e;",
    "  --bot-bg: #f0f2f5; --agent-bg: #e8f4ec; --border: #e3e6ea; --field: #737d8c; --danger: #b42318;",
    "  font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;",
    "  color: var(--fg); text-align: left; direction: ltr; }",
    ".cbw *, .cbw *::before, .cbw *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    "button, textarea { font: inherit; color: inherit; }",
    ".sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    "svg { width: 22px; height: 22px; fill: none; stroke: currentColor; stroke-width: 2;",
    "  stroke-linecap: round; stroke-linejoin: round; }",
    ":focus-visible { outline: 3px solid var(--primary); outline-offset: 2px; }",

    ".launcher { position: fixed; bottom: 20px; right: 20px; z-index: 2147483000; width: 60px; height: 60px;",
    "  border: 0; border-radius: 50%; background: var(--primary); color: var(--on-primary); cursor: pointer;",
    "  display: flex; align-items: center; justify-content: center; box-shadow: 0 6px 20px rgba(0,0,0,.25);",
    "  transition: transform .15s ease; }",
    ".launcher:hover { transform: scale(1.06); }",
    ".launcher svg { width: 28px; height: 28px; }",
    ".launcher:focus-visible { outline-color: var(--fg); }",
    ".left .launcher { right: auto; left: 20px; }",
    ".launcher .i-close, .open .launcher .i-chat { display: none; }",
    ".open .launcher .i-close { display: block; }",
    ".badge { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px;",
    "  border-radius: 11px; background: #d92d20; color: #fff; font-size: 12px; font-weight: 700;",
    "  line-height: 22px; text-align: center; border: 2px solid #fff; }",

    ".panel { position: fixed; bottom: 92px; right: 20px; z-index: 2147483000; width: 370px;",
    "  height: min(600px, calc(100vh - 112px)); background: var(--bg); border-radius: 16px; overflow: hidden;",
    "  display: flex; flex-direction: column; box-shadow: 0 12px 40px rgba(0,0,0,.22); border: 1px solid var(--border); }",
    ".left .panel { right: auto; left: 20px; }",
    ".head { display: flex; align-items: center; gap: 10px; padding: 14px 12px 14px 18px;",
    "  background: var(--primary); color: var(--on-primary); }",
    ".titles { flex: 1; min-width: 0; }",
    "h2 { margin: 0; font-size: 17px; font-weight: 650; line-height: 1.3; white-space: nowrap;",
    "  overflow: hidden; text-overflow: ellipsis; }",
    ".status { margin: 2px 0 0; font-size: 13px; opacity: .92; display: flex; align-items: center; gap: 6px; }",
    ".dot { width: 8px; height: 8px; border-radius: 50%; background: #f79009; flex: none; }",
    ".online .dot { background: #32d583; }",
    ".offline .dot { background: #f04438; }",
    ".close { border: 0; background: transparent; color: inherit; width: 40px; height: 40px;",
    "  border-radius: 50%; cursor: pointer; display: flex; align-items: center; justify-content: center; }",
    ".close:hover { background: rgba(255,255,255,.18); }",
    ".close:focus-visible { outline-color: var(--on-primary); outline-offset: -3px; }",

    ".log { flex: 1; overflow-y: auto; padding: 16px 14px 8px; display: flex; flex-direction: column; gap: 10px;",
    "  overscroll-behavior: contain; }",
    ".msg { display: flex; flex-direction: column; max-width: 82%; align-self: flex-start; }",
    ".msg.customer { align-self: flex-end; align-items: flex-end; }",
    ".bubble { padding: 9px 13px; border-radius: 16px 16px 16px 4px; background: var(--bot-bg);",
    "  white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".customer .bubble { background: var(--primary); color: var(--on-primary); border-radius: 16px 16px 4px 16px; }",
    ".agent .bubble { background: var(--agent-bg); }",
    ".bubble a { color: inherit; text-decoration: underline; }",
    ".who { font-size: 12px; color: var(--muted); margin: 0 4px 2px; font-weight: 600; }",
    ".meta { font-size: 11px; color: var(--muted); margin: 3px 4px 0; }",
    ".pending .bubble { opacity: .7; }",
    ".failed .bubble { background: #fee4e2; color: var(--danger); }",
    ".failed .meta { color: var(--danger); }",
    ".msg.system, .notice { align-self: center; max-width: 90%; text-align: center; }",
    ".system .bubble, .notice { background: transparent; color: var(--muted); font-size: 13px; padding: 2px 8px; }",
    ".notice { border-top: 1px solid var(--border); padding-top: 8px; width: 90%; }",

    ".typing { display: flex; gap: 4px; padding: 4px 18px 8px; align-items: center; }",
    ".typing span:not(.sr) { width: 7px; height: 7px; border-radius: 50%; background: #98a2b3; animation: cbw-b 1.2s infinite; }",
    ".typing span:nth-child(2) { animation-delay: .15s; } .typing span:nth-child(3) { animation-delay: .3s; }",
    "@keyframes cbw-b { 0%, 60%, 100% { transform: translateY(0); opacity: .5; } 30% { transform: translateY(-4px); opacity: 1; } }",

    ".alert { margin: 0 12px 8px; padding: 8px 12px; border-radius: 10px; background: #fef3f2;",
    "  color: var(--danger); font-size: 13px; border: 1px solid #fecdca; }",
    ".quick { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 12px 10px; justify-content: flex-end; }",
    ".quick button { border: 1.5px solid var(--primary); color: var(--primary); background: var(--bg);",
    "  border-radius: 18px; padding: 6px 14px; cursor: pointer; font-size: 14px; }",
    ".quick button:hover { background: var(--primary); color: var(--on-primary); }",

    "form { border-top: 1px solid var(--border); padding: 8px 10px 10px; display: flex; flex-direction: column; gap: 6px; }",
    ".row { display: flex; gap: 8px; align-items: flex-end; }",
    ".human { align-self: flex-start; border: 0; background: transparent; color: var(--primary);",
    "  font-size: 13px; padding: 2px 4px; cursor: pointer; text-decoration: underline; }",
    // The field's edge at 4:1 on white (WCAG 1.4.11 asks 3:1 of a control's boundary).
    "textarea { flex: 1; resize: none; border: 1px solid var(--field); border-radius: 20px; padding: 9px 14px;",
    "  max-height: 120px; min-height: 40px; line-height: 1.4; background: var(--bg); }",
    "textarea:focus { outline: none; border-color: var(--primary); box-shadow: 0 0 0 2px color-mix(in srgb, var(--primary) 25%, transparent); }",
    ".send { flex: none; width: 40px; height: 40px; border: 0; border-radius: 50%; background: var(--primary);",
    "  color: var(--on-primary); cursor: pointer; display: flex; align-items: center; justify-content: center; }",
    ".send svg { width: 20px; height: 20px; }",
    ".send:disabled { opacity: .45; cursor: default; }",

    "@media (max-width: 480px) {",
    "  .panel, .left .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; border: 0; }",
    "  .open .launcher { display: none; }",
    "  .msg { max-width: 88%; }",
    "  textarea { font-size: 16px; }", // iOS zooms into smaller inputs
    "}",
    "@media (prefers-reduced-motion: reduce) { .typing span, .launcher { animation: none; transition: none; } }",
  ].join("\n");

  if (shadow.adoptedStyleSheets !== undefined && typeof CSSStyleSheet === "function") {
    // Constructed sheets also work under a strict style-src Content-Security-Policy.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(h("style", { text: CSS }));
  }

  var badge = h("span", { className: "badge", hidden: true, "aria-hidden": "true" });
  var launcher = h(
    "button",
    { className: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "cbw-panel" },
    [icon(ICON_CHAT, "i-chat"), icon(ICON_CLOSE, "i-close"), badge],
  );
  var statusText = h("span", { text: "Connecting…" });
  var status = h("p", { className: "status" }, [h("span", { className: "dot" }), statusText]);
  var closeBtn = h("button", { className: "close", type: "button", "aria-label": "Close chat" }, [icon(ICON_CLOSE)]);
  var log = h("div", {
    className: "log",
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  // The dots are for the eye; the words are what a screen reader announces (a status).
  var typing = h("div", { className: "typing", hidden: true, role: "status" }, [
    h("span", { "aria-hidden": "true" }),
    h("span", { "aria-hidden": "true" }),
    h("span", { "aria-hidden": "true" }),
    h("span", { className: "sr", text: "The assistant is typing…" }),
  ]);
  // Outside the panel, so it is heard while the panel is closed: a reply that arrives then.
  var announcer = h("div", { className: "announce sr", role: "status", "aria-live": "polite" });
  var alertBox = h("div", { className: "alert", role: "alert", hidden: true });
  var quick = h("div", { className: "quick", role: "group", "aria-label": "Suggested replies", hidden: true });
  var humanBtn = h("button", { className: "human", type: "button", text: "Talk to a person" });
  var input = h("textarea", {
    rows: "1",
    "aria-label": "Type your message",
    placeholder: "Type your message…",
    autocomplete: "off",
  });
  var sendBtn = h("button", { className: "send", type: "submit", "aria-label": "Send message", disabled: "" }, [
    icon(ICON_SEND),
  ]);
  var form = h("form", { "aria-label": "Send a message" }, [
    humanBtn,
    h("div", { className: "row" }, [input, sendBtn]),
  ]);
  var panel = h(
    "section",
    { className: "panel", id: "cbw-panel", role: "dialog", "aria-label": config.title, hidden: true },
    [
      h("div", { className: "head" }, [h("div", { className: "titles" }, [h("h2", { text: config.title }), status]), closeBtn]),
      log,
      typing,
      alertBox,
      quick,
      form,
    ],
  );
  var root = h("div", { className: "cbw " + config.position }, [panel, launcher, announcer]);
  var cssVars = {
    primary: "--primary",
    onPrimary: "--on-primary",
    background: "--bg",
    text: "--fg",
    botBubble: "--bot-bg",
    agentBubble: "--agent-bg",
  };
  for (var name in cssVars) {
    if (config.colors[name]) root.style.setProperty(cssVars[name], String(config.colors[name]));
  }
  shadow.appendChild(root);
  // A child of <html>, not <body>: off-canvas menus and modals often transform or filter the body,
  // which would re-anchor our position:fixed elements to it.
  document.documentElement.appendChild(host);

  if (config.greeting) {
    log.appendChild(
      h("div", { className: "msg bot greeting" }, [h("div", { className: "bubble", text: config.greeting })]),
    );
  }

  // ------------------------------------------------------------------ rendering messages

  var SENDER_LABEL = { customer: "You", bot: "Assistant", agent: "Support agent", system: "Notice" };

  function renderMessage(m) {
    var sender = SENDER_LABEL[m.sender] ? m.sender : "bot";
    var bubble = h("div", { className: "bubble" });
    setRichText(bubble, m.text || "");
    var children = [];
    if (sender === "agent") children.push(h("span", { className: "who", text: m.agent_name || SENDER_LABEL.agent }));
    else children.push(h("span", { className: "sr", text: SENDER_LABEL[sender] + ": " }));
    children.push(bubble);
    var meta = h("time", { className: "meta" });
    children.push(meta);
    var el = h("div", { className: "msg " + sender }, children);
    m.el = el;
    m.meta = meta;
    updateMeta(m);
    return el;
  }

  function updateMeta(m) {
    m.el.classList.toggle("pending", !!m.pending);
    m.el.classList.toggle("failed", !!m.failed);
    if (m.failed) m.meta.textContent = "Not sent";
    else if (m.pending) m.meta.textContent = "Sending…";
    else {
      m.meta.textContent = formatTime(m.ts);
      if (m.ts) m.meta.setAttribute("datetime", m.ts);
    }
    if (m.id != null) m.el.setAttribute("data-id", String(m.id));
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function scrollToBottom() {
    log.scrollTop = log.scrollHeight;
  }

  // Adds a message in id order (unless it is already shown); returns false for duplicates.
  function addMessage(m) {
    if (m.id != null) {
      if (byId[m.id]) return false;
      byId[m.id] = m;
    }
    var stick = nearBottom();
    var index = msgs.length;
    if (m.id != null) {
      for (var i = 0; i < msgs.length; i++) {
        if (msgs[i].id != null && msgs[i].id > m.id) {
          index = i;
          break;
        }
      }
    }
    var el = renderMessage(m);
    if (index < msgs.length) log.insertBefore(el, msgs[index].el);
    else log.appendChild(el);
    msgs.splice(index, 0, m);
    if (stick || m.sender === "customer") scrollToBottom();
    return true;
  }

  function displayText(text) {
    if (text === HUMAN_PAYLOAD) return "Talk to a person";
    return Object.prototype.hasOwnProperty.call(state.titles, text) ? state.titles[text] : text;
  }

  function normalize(raw, fallbackSender) {
    var qr = Array.isArray(raw.quick_replies) ? raw.quick_replies : null;
    return {
      id: typeof raw.id === "number" ? raw.id : null,
      ts: raw.ts || new Date().toISOString(),
      sender: raw.sender || fallbackSender,
      text: typeof raw.text === "string" ? raw.text : "",
      quick_replies: qr && qr.length ? qr : null,
      agent_name: raw.agent_name || null,
    };
  }

  function renderQuickReplies() {
    quick.textContent = "";
    var last = msgs.length ? msgs[msgs.length - 1] : null;
    var replies = last && last.sender !== "customer" && last.quick_replies;
    quick.hidden = !replies;
    renderOwner();
    if (!replies) return;
    replies.forEach(function (r) {
      if (!r || typeof r.title !== "string") return;
      var payload = typeof r.payload === "string" ? r.payload : r.title;
      var b = h("button", { type: "button", text: r.title, "data-payload": payload });
      b.addEventListener("click", function () {
        state.titles[payload] = r.title;
        send(payload, r.title);
        input.focus();
      });
      quick.appendChild(b);
    });
    renderOwner();
    scrollToBottom(); // the buttons shrink the log; keep the question they answer in view
  }

  function renderOwner() {
    var offered = false; // a quick reply already offers a person
    Array.prototype.forEach.call(quick.querySelectorAll("button"), function (b) {
      if (b.getAttribute("data-payload") === HUMAN_PAYLOAD) offered = true;
    });
    // Once handed over, asking again for a person would only repeat the hand-off.
    var handedOver = state.owner === "human" || !!state.waiting;
    humanBtn.hidden = !config.humanButton || handedOver || (!quick.hidden && offered);
  }

  function renderUnread() {
    badge.hidden = !state.unread;
    badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    var label = "Open chat: " + config.title;
    if (state.unread) label += " (" + state.unread + " unread)";
    launcher.setAttribute("aria-label", isOpen() ? "Close chat: " + config.title : label);
  }

  // ------------------------------------------------------------------ connection

  var socket = null;
  var confirmed = false; // session confirmed on the current connection
  var outbox = [];
  var typingTimer = null;
  var statusName = "connecting";

  function setStatus(name, text) {
    statusName = name;
    status.className = "status " + name;
    if (text) statusText.textContent = text;
    else if (name === "online") {
      statusText.textContent = ownerText();
    } else if (name === "offline") statusText.textContent = "Offline, reconnecting…";
    else statusText.textContent = "Connecting…";
  }

  // The header agrees with what the bot said: who is here, who is coming, or email.
  function ownerText() {
    if (state.owner === "human") return (state.agentName || "A person") + " is here to help";
    if (state.waiting === "person") return "A colleague is on the way";
    if (state.waiting === "email") return "Our team will reply by email";
    return "Online";
  }

  function loadSocketIo(done) {
    if (typeof window.io === "function") return done(window.io);
    var had = Object.prototype.hasOwnProperty.call(window, "io");
    var previous = window.io;
    var tag = document.createElement("script");
    tag.src = config.server + "/static/vendor/socket.io.min.js";
    tag.async = true;
    tag.onload = function () {
      var lib = window.io;
      if (had) window.io = previous;
      else delete window.io;
      tag.remove();
      done(lib);
    };
    tag.onerror = function () {
      tag.remove();
      setStatus("offline", "Chat unavailable, retrying…");
      setTimeout(function () {
        loadSocketIo(done);
      }, 10000);
    };
    (document.head || document.documentElement).appendChild(tag);
  }

  function connect() {
    if (socket) return;
    socket = true; // loading
    setStatus("connecting");
    loadSocketIo(function (io) {
      socket = io(config.server, {
        path: config.path,
        transports: config.transports, // default: start on polling, upgrade to websocket
        reconnection: true,
        reconnectionDelay: 1000,
        reconnectionDelayMax: 10000,
      });
      socket.on("connect", onConnect);
      socket.on("disconnect", function (reason) {
        confirmed = false;
        setStatus("offline");
        if (reason === "io server disconnect") {
          // The server closed us on purpose; socket.io will not retry by itself.
          setTimeout(function () {
            socket.connect();
          }, 5000);
        }
      });
      socket.on("connect_error", function () {
        setStatus("offline");
      });
      socket.io.on("reconnect_attempt", function () {
        if (statusName !== "online") setStatus("connecting");
      });
      socket.on("session_confirm", onSessionConfirm);
      socket.on("session_history", onSessionHistory);
      socket.on("bot_uttered", onBotUttered);
      socket.on("user_message", onUserMessage);
      socket.on("bot_typing", onBotTyping);
      socket.on("session_status", onSessionStatus);
      socket.on("error", onError);
    });
  }

  function onConnect() {
    confirmed = false;
    setStatus("online");
    // On every (re)connect: resume the stored session and ask only for what we have not shown.
    // "chatbot/1": this server's keys and events on top of Rasa's (docs/protocol.md).
    socket.emit("session_request", {
      session_id: state.sessionId,
      last_message_id: lastMessageId(),
      protocol: "chatbot/1",
    });
  }

  function onSessionConfirm(data) {
    var id = typeof data === "string" ? data : data && data.session_id;
    if (!id) return;
    if (state.sessionId && id !== state.sessionId) {
      // The server did not know our session (expired or forged): its history is gone.
      msgs.slice().forEach(function (m) {
        if (!m.pending) {
          m.el.remove();
          msgs.splice(msgs.indexOf(m), 1);
        }
      });
      byId = {};
      state.owner = "bot";
      state.agentName = null;
      state.waiting = null;
      renderOwner();
    }
    state.sessionId = id;
    confirmed = true;
    saveState();
    renderQuickReplies();
    flush();
  }

  function onSessionHistory(data) {
    if (!data || !Array.isArray(data.messages)) return;
    if (data.session_id && data.session_id !== state.sessionId) return;
    var added = 0;
    data.messages.forEach(function (raw) {
      if (!raw || typeof raw !== "object") return;
      if (raw.sender === "customer") {
        if (raw.client_message_id && confirmPending(raw)) return;
        raw = Object.assign({}, raw, { text: displayText(raw.text) });
      }
      var m = normalize(raw, "bot");
      if (addMessage(m) && m.sender !== "customer") added++;
    });
    if (added && !isOpen()) state.unread += added;
    renderUnread();
    renderQuickReplies();
    saveState();
  }

  function onBotUttered(data) {
    if (!data || typeof data !== "object") return;
    var m = normalize(data, "bot");
    if (!m.text && !m.quick_replies) return;
    if (!addMessage(m)) return;
    if (m.sender === "agent" && m.agent_name) state.agentName = m.agent_name;
    if (!isOpen()) {
      state.unread++;
      announce(m);
    }
    renderUnread();
    renderQuickReplies();
    saveState();
  }

  // Matches the server's copy of a customer message to this tab's optimistic bubble.
  function confirmPending(raw) {
    for (var i = 0; i < msgs.length; i++) {
      var m = msgs[i];
      if (m.cid && m.cid === raw.client_message_id && m.id == null) {
        m.pending = false;
        m.failed = false;
        if (typeof raw.id === "number") {
          if (byId[raw.id]) return true;
          m.id = raw.id;
          byId[raw.id] = m;
        }
        if (raw.ts) m.ts = raw.ts;
        updateMeta(m);
        return true;
      }
    }
    return false;
  }

  function onUserMessage(data) {
    if (!data || typeof data !== "object") return;
    if (data.client_message_id && confirmPending(data)) {
      saveState();
      return;
    }
    // Sent from another tab of the same session.
    var m = normalize(data, "customer");
    m.sender = "customer";
    m.text = displayText(m.text);
    if (addMessage(m)) {
      renderQuickReplies();
      saveState();
    }
  }

  function onBotTyping(data) {
    var on = !!(data && data.typing);
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) {
      typingTimer = setTimeout(function () {
        typing.hidden = true;
      }, TYPING_TIMEOUT_MS);
      if (nearBottom()) scrollToBottom();
    }
  }

  function onSessionStatus(data) {
    if (!data) return;
    // The server's own system line tells the customer who joined or left (one notice
    // per event, for every client): the widget only follows the state.
    var owner = data.owner === "human" ? "human" : "bot";
    state.owner = owner;
    state.agentName = owner === "human" ? data.agent_name || null : null;
    state.waiting = owner === "bot" && (data.waiting === "person" || data.waiting === "email") ? data.waiting : null;
    renderOwner();
    if (statusName === "online") setStatus("online");
    saveState();
  }

  function onError(data) {
    var text = (data && (data.message || data.code)) || "Something went wrong.";
    showAlert(String(text));
    for (var i = msgs.length - 1; i >= 0; i--) {
      if (msgs[i].pending) {
        msgs[i].pending = false;
        msgs[i].failed = true;
        updateMeta(msgs[i]);
        break;
      }
    }
  }

  // A reply nobody can see (the panel is closed) is read out once, who and what.
  function announce(m) {
    var from = m.sender === "agent" ? m.agent_name || "a support agent" : "the assistant";
    announcer.textContent = "";
    setTimeout(function () {
      announcer.textContent = "New message from " + from + ": " + (m.text || "");
    }, 50);
  }

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.hidden = false;
  }

  function flush() {
    if (!socket || socket === true || !socket.connected || !confirmed) return;
    while (outbox.length) {
      var item = outbox.shift();
      var custom = { client_message_id: item.cid, page_url: location.href };
      if (config.identity) custom.identity = config.identity;
      socket.emit("user_uttered", { message: item.message, session_id: state.sessionId, customData: custom });
    }
  }

  // ------------------------------------------------------------------ user actions

  function send(message, shown) {
    message = String(message || "").trim();
    if (!message) return;
    alertBox.hidden = true;
    var cid = randomId();
    addMessage({
      id: null,
      ts: new Date().toISOString(),
      sender: "customer",
      text: shown || message,
      cid: cid,
      pending: true,
    });
    quick.hidden = true;
    quick.textContent = "";
    renderOwner();
    outbox.push({ message: message, cid: cid });
    connect();
    flush();
  }

  function isOpen() {
    return !panel.hidden;
  }

  // At phone size the open panel covers the page: it is then a modal dialog, and the page
  // behind it is inert (the widget's host hangs off <html>, outside <body>), so keyboard
  // focus and screen readers stay in the chat until it closes.
  var phone = window.matchMedia ? window.matchMedia("(max-width: 480px)") : null;
  var inerted = false;

  function syncModal() {
    var modal = isOpen() && !!(phone && phone.matches);
    if (modal) panel.setAttribute("aria-modal", "true");
    else panel.removeAttribute("aria-modal");
    if (modal !== inerted && document.body) {
      document.body.inert = modal;
      inerted = modal;
    }
  }

  if (phone) {
    if (phone.addEventListener) phone.addEventListener("change", syncModal);
    else if (phone.addListener) phone.addListener(syncModal);
  }

  function open(focus) {
    panel.hidden = false;
    root.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    state.unread = 0;
    state.open = true;
    renderUnread();
    saveState();
    connect();
    scrollToBottom();
    syncModal();
    if (focus !== false) input.focus();
  }

  function close() {
    panel.hidden = true;
    root.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    state.open = false;
    syncModal();
    renderUnread();
    saveState();
    launcher.focus();
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
    sendBtn.disabled = !input.value.trim();
  }

  launcher.addEventListener("click", function () {
    if (isOpen()) close();
    else open(true);
  });
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    } else if (e.key === "Tab" && panel.getAttribute("aria-modal") === "true") {
      // Modal: Tab past the last control comes back to the first, and Shift+Tab the other way.
      var items = Array.prototype.filter.call(
        panel.querySelectorAll("button, textarea, a[href], [tabindex='0']"),
        function (el) {
          return !el.disabled && !el.hidden && el.getClientRects().length > 0;
        },
      );
      if (!items.length) return;
      var first = items[0];
      var last = items[items.length - 1];
      var active = shadow.activeElement;
      if (e.shiftKey && (active === first || !panel.contains(active))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (active === last || !panel.contains(active))) {
        e.preventDefault();
        first.focus();
      }
    }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    autosize();
    send(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", autosize);
  humanBtn.addEventListener("click", function () {
    send(HUMAN_PAYLOAD, "Talk to a person");
    input.focus();
  });

  // ------------------------------------------------------------------ start

  state.messages.forEach(function (raw) {
    if (raw && typeof raw === "object") addMessage(normalize(raw, "bot"));
  });
  renderQuickReplies();
  renderOwner();
  renderUnread();
  setStatus("connecting");
  // Connect straight away only for a returning customer (to fetch what they missed) or an open
  // panel; a first-time visitor's page view creates no server session until they open the chat.
  if (state.open || config.open) open(false); // do not steal the host page's focus on load
  else if (state.sessionId) connect();
})();
