/* Glimpse: share the view (dashboard/share.py wires these). Copy link copies the page's
   address (the deep link of the view); Export PNG saves the visible tab's first figure
   with Plotly's own toImage, in the browser (no server-side renderer needed). */
(function () {
  var dc = window.dash_clientside = window.dash_clientside || {};

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return fallback(text); });
    }
    return Promise.resolve(fallback(text));
  }

  function fallback(text) {   // http:// on another host: no Clipboard API
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  /* the first drawn figure of the visible tab panel (the what-if panel's when it is open) */
  function visibleFigure() {
    var scopes = document.querySelectorAll('.whatif-panel.open, .tab-panel');
    for (var i = 0; i < scopes.length; i++) {
      var el = scopes[i];
      if (el.offsetParent === null) continue;
      var fig = el.querySelector('.js-plotly-plot');
      if (fig) return fig;
    }
    return null;
  }

  function say(text) { dc.set_props('share-status', {children: text}); }

  dc.glimpse_share = {
    copy: function (n) {
      if (!n) return dc.no_update;
      var url = window.location.href;
      copyText(url).then(function (ok) {
        say(ok ? 'Link copied: it reopens this view.' : 'Copy this link: ' + url);
      });
      return window.location.href;
    },
    png: function (n, search) {
      if (!n) return dc.no_update;
      var fig = visibleFigure();
      if (!fig || !window.Plotly) { say('There is no figure on this tab to save yet.'); return dc.no_update; }
      var q = new URLSearchParams(search || '');
      var name = ['glimpse', q.get('model'), q.get('sample'), q.get('tab')].filter(Boolean).join('-');
      window.Plotly.downloadImage(fig, {format: 'png', filename: name.replace(/[^A-Za-z0-9_.-]/g, '-'), scale: 2})
        .then(function () { say('PNG saved: ' + name + '.png'); },
              function (e) { say('The PNG could not be made: ' + e); });
      return dc.no_update;
    }
  };
})();
