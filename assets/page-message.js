/* Glimpse: the page's message area (dashboard/errors.py). A click on the message puts it
   away. A function here, not an inline clientside callback: the Content-Security-Policy
   (dashboard/security.py) allows inline scripts only by the hashes it knew at start. */
(function () {
  var dc = window.dash_clientside = window.dash_clientside || {};
  dc.glimpse_messages = {
    dismiss: function (n_clicks) { return null; }
  };
})();
