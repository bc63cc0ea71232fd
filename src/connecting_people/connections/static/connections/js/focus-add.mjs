// After "Add to the map", put the cursor back in the name box so the next entry can be typed straight away.
// Loaded only on the page that follows an add.
const name = document.getElementById("id_label");
if (name) {
  name.focus();
}
