// Service terminal (?kiosk=1): after some time without a touch or a key, end the consultation so that the next
// villager at the terminal does not see the previous one's questions. The page works without it (结束咨询 button).
(() => {
  const form = document.getElementById("kiosk-end");
  if (!form) return;
  const seconds = Number(form.dataset.idleSeconds) || 180;
  // the chat page with a question on it, or an article opened from one (no thread on that page)
  const showsSomething = document.querySelector(".thread .ask") !== null || !document.querySelector(".thread");
  let timer;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const button = form.querySelector("button[value=end]");
      form.requestSubmit ? form.requestSubmit(button) : button.click();
    }, seconds * 1000);
  };
  if (!showsSomething) return;
  ["pointerdown", "keydown", "touchstart", "scroll", "input"].forEach((name) =>
    document.addEventListener(name, arm, { passive: true }));
  arm();
})();
