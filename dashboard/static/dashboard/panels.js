// The dashboard's cash outlook, worklist and risk panels, loaded after the page is shown
// (dashboard.views.panels_page): the forecast behind them reads a year of cash applied, and
// the tiles, trends and aging should not wait for it. Same origin only; no other request.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("panels");
  if (!holder) {
    return;
  }
  fetch(holder.dataset.src, {
    credentials: "same-origin",
    headers: { "X-Dashboard-Fragment": "1", Accept: "text/html" },
  })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("status " + response.status);
      }
      return response.text();
    })
    .then(function (html) {
      holder.innerHTML = html;
      holder.dataset.loaded = "true";
      if (window.location.hash) {
        var target = document.getElementById(window.location.hash.slice(1));
        if (target) {
          target.scrollIntoView();
        }
      }
    })
    .catch(function (error) {
      holder.innerHTML = "";
      var message = document.createElement("p");
      message.className = "loading failed";
      message.textContent =
        "The cash outlook, worklist and risk could not be loaded (" + error.message + "). ";
      var link = document.createElement("a");
      link.href = holder.dataset.src;
      link.textContent = "Open them on their own page";
      message.appendChild(link);
      holder.appendChild(message);
      holder.dataset.loaded = "failed";
    });
});
