// The one-tag embed: <script src="https://desk.example/static/chat/embed.js" data-chat="https://desk.example/chat/" data-topic="billing" defer></script>
// Adds a chat button to the page; it opens the chat page of the desk in a framed panel (phone: full screen).
(function () {
  "use strict";
  var me = document.currentScript || document.querySelector("script[data-chat]");
  if (!me) return;
  var address = me.getAttribute("data-chat");
  var topic = me.getAttribute("data-topic");
  if (topic) address += (address.indexOf("?") < 0 ? "?" : "&") + "topic=" + encodeURIComponent(topic);
  var zh = (document.documentElement.lang || navigator.language || "").toLowerCase().indexOf("zh") === 0;
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = me.getAttribute("data-label") || (zh ? "在线客服" : "Chat with us");
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483000;padding:12px 18px;border:0;border-radius:24px;background:#1a56db;color:#fff;font:16px sans-serif;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.25)";
  var frame = null;
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = address;
      frame.title = button.textContent;
      var phone = window.matchMedia("(max-width: 480px)").matches;
      frame.style.cssText = phone
        ? "position:fixed;inset:0;width:100%;height:calc(100% - 64px);border:0;z-index:2147483000;background:#fff"
        : "position:fixed;right:16px;bottom:72px;width:380px;height:600px;max-height:calc(100% - 90px);border:1px solid #ccc;border-radius:8px;z-index:2147483000;background:#fff";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
