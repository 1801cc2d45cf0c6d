// Issuing a topic request: ticking a group ticks its units (and unticking it unticks them), so the page shows whom
// the request goes to. Without JavaScript the groups are still sent and added by the server.
(function () {
  var data = document.getElementById("group-members");
  if (!data) return;
  var members = JSON.parse(data.textContent);
  document.querySelectorAll('input[name="groups"]').forEach(function (box) {
    box.addEventListener("change", function () {
      (members[box.value] || []).forEach(function (id) {
        var unit = document.querySelector('input[name="units"][value="' + id + '"]');
        if (unit) unit.checked = box.checked;
      });
    });
  });
})();
