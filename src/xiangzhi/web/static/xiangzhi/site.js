// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
    el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
  }
});
