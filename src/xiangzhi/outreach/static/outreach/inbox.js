// The inbox tells the server once when a villager plays an answer (the delivery becomes 已查看).
document.querySelectorAll("article.answer").forEach(function (card) {
  var player = card.querySelector("audio, video");
  if (!player) return;
  player.addEventListener("play", function () {
    if (card.dataset.told) return;
    card.dataset.told = "1";
    fetch(card.dataset.openedUrl, {method: "POST", headers: {"X-CSRFToken": card.dataset.csrf},
                                   credentials: "same-origin"});
  });
});
