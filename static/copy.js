// Copy buttons: <button data-copy="ID"> copies the text of element ID to the
// clipboard. Without JavaScript the buttons stay hidden and the text can be
// selected by hand.
for (const b of document.querySelectorAll("button[data-copy]")) {
  const src = document.getElementById(b.dataset.copy);
  if (!src || !navigator.clipboard) continue;
  b.hidden = false;
  const label = b.textContent;
  b.addEventListener("click", async () => {
    await navigator.clipboard.writeText(src.value ?? src.textContent);
    b.textContent = b.dataset.copied || label;
    setTimeout(() => (b.textContent = label), 2000);
  });
}
